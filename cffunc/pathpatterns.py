"""CloudFront path patterns (``*`` any characters, ``?`` one) and ambiguous URIs.

A pattern becomes one anchored regular expression whose syntax means the same in
Python's ``re`` and JavaScript's ``RegExp``, so the decision model and the rendered
function match exactly the same URIs.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

# /../, /./, a trailing /.. or /., //, a backslash, or a percent-encoded ".", "/" or "\":
# a server behind CloudFront may resolve such a URI to a path other than the one matched,
# so an allowlisted prefix must never let one through.
AMBIGUOUS_URI = re.compile(r"/\.\.?(?:/|$)|//|\\|%2[ef]|%5c", re.IGNORECASE)


def is_ambiguous(uri: str) -> bool:
    return AMBIGUOUS_URI.search(uri) is not None


def normalise(pattern: str) -> str:
    """CloudFront reads ``images/*`` as ``/images/*``."""
    return pattern if pattern.startswith(("/", "*")) else "/" + pattern


def pattern_source(pattern: str) -> str:
    """Regex source for one pattern, without anchors."""
    parts = []
    for char in normalise(pattern):
        if char == "*":
            parts.append(r"[\s\S]*")
        elif char == "?":
            parts.append(r"[\s\S]")
        elif char.isalnum() or char in "/_-~\"'@:&":
            parts.append(char)
        else:
            parts.append("\\" + char)
    return "".join(parts)


def patterns_source(patterns: Iterable[str]) -> str | None:
    """One anchored regex source matching any of ``patterns``; None when there are none."""
    sources = [pattern_source(p) for p in patterns]
    if not sources:
        return None
    return "^(?:" + "|".join(sources) + ")$"


def first_match(patterns: Iterable[str], uri: str) -> str | None:
    """The first pattern matching ``uri``, by :mod:`fnmatch` rather than our regex source.

    Path patterns never contain ``[`` or ``]`` (config validation refuses them), so
    ``fnmatchcase`` means exactly CloudFront's ``*``/``?``: an independent check of
    :func:`pattern_source`, which the rendered function uses.
    """
    for pattern in patterns:
        if fnmatch.fnmatchcase(uri, normalise(pattern)):
            return pattern
    return None
