"""Typed errors the library raises; the CLI turns each into one line and exit code 1.

Every message says what was wrong, where (the config key) and what to do about it,
so a release script's log is enough to fix the problem.
"""


class CffuncError(Exception):
    """Base of every error cffunc reports to a user."""


class ConfigError(CffuncError):
    """cffunc.toml is missing, unreadable or holds a value cffunc cannot accept."""


class RenderError(CffuncError):
    """The function cannot be rendered (the size budget, a missing secret)."""


class UsageError(CffuncError):
    """Options that cannot go together; the CLI exits 2 for it, as for click's own."""
