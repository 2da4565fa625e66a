"""The one Jinja2 environment cffunc renders with, and the filters it registers.

Values enter JavaScript only through the ``js`` filter: JSON, with U+2028 and U+2029
escaped, so no config value can end a string, open a template literal or become code.
``<``, ``>`` and ``&`` are kept as they are: the code is never inside an HTML page (where
``</script>`` would end it), and an HTML-like comment (``<!--``) is one only outside a
string literal, so escaping them bought nothing and cost 5 bytes each (43 in the
built-in page). ``StrictUndefined`` turns a missing template variable into an error
instead of an empty string in deployed code.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox

_JS_ESCAPES = {
    # Line terminators in JavaScript, which a string literal may not hold before ES2019.
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def js(value: Any) -> str:
    """A JavaScript expression equal to ``value``: JSON, U+2028 and U+2029 escaped. A
    string holding more double quotes than single ones is written in single quotes
    (JSON's escapes, with ``'`` escaped and ``"`` not), which saves a backslash each."""
    if isinstance(value, str) and value.count('"') > value.count("'"):
        return "'" + "".join(_single_quoted(char) for char in value) + "'"
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "".join(_JS_ESCAPES.get(char, char) for char in text)


def _single_quoted(char: str) -> str:
    if char in "'\"":
        return "\\'" if char == "'" else char
    return _JS_ESCAPES.get(char) or json.dumps(char, ensure_ascii=False)[1:-1]


def js_regex(pattern: re.Pattern[str], global_: str = "") -> str:
    """A JavaScript regex literal for a Python pattern, so a regex both languages need is
    written once, in Python. Only syntax that means the same in ``re`` and ``RegExp`` is
    taken (no named groups, ``\\A``/``\\Z``, inline flags or line breaks); IGNORECASE
    (with ASCII) becomes ``i``, and any other flag is refused. ``global_`` = ``"g"``: a
    global regex, for ``String.prototype.replace`` of every match (what ``re.sub`` does)."""
    if global_ not in ("", "g"):
        raise ValueError(f"{global_!r}: only the g flag may be added")
    source = pattern.pattern
    if re.search(r"\(\?P|\(\?[aiLmsux]|\\[AZ]|[\n\r\u2028\u2029]", source):
        raise ValueError(f"{source!r}: not a pattern that means the same in JavaScript")
    flags = pattern.flags & ~re.UNICODE
    if flags & re.IGNORECASE and not flags & re.ASCII:
        # Unicode case folding lets [a-z] match the Kelvin sign; JavaScript's i does not.
        raise ValueError(f"{source!r}: re.IGNORECASE means JavaScript's i only with re.ASCII")
    if flags & re.ASCII and re.search(r"\\[sS]", source):
        # JavaScript's \s holds Unicode spaces, Python's ASCII one does not.
        raise ValueError(f"{source!r}: \\s means the same in JavaScript only without re.ASCII")
    if flags & ~(re.IGNORECASE | re.ASCII):
        raise ValueError(f"{source!r}: only re.IGNORECASE | re.ASCII has a JavaScript equivalent")
    out, i = [], 0
    while i < len(source):
        char = source[i]
        if char == "\\":
            out.append(source[i : i + 2])  # an escape, kept as it is
            i += 2
            continue
        out.append("\\/" if char == "/" else char)  # "/" would end the literal
        i += 1
    return "/" + "".join(out) + "/" + global_ + ("i" if flags & re.IGNORECASE else "")


def regex_parts(pattern: re.Pattern[str]) -> tuple[str, str]:
    """(source, flags) for ``new RegExp(source, flags)``: the pattern ``js_regex`` writes."""
    literal = js_regex(pattern)
    end = literal.rindex("/")
    return literal[1:end], literal[end + 1 :]  # "\\/" in a source string is "/"


FILTERS: dict[str, Callable[..., Any]] = {"js": js, "js_regex": js_regex}


def templates_dir() -> Traversable:
    """``js_templates/``: installed as the ``cffunc.js_templates`` package.

    Run from a source checkout (the repository root on ``sys.path``, as pytest puts it),
    ``cffunc`` is the folder beside ``js_templates/`` rather than the installed package,
    and the templates are read from there.
    """
    try:
        return resources.files("cffunc.js_templates")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "js_templates"


class _TraversableLoader(jinja2.BaseLoader):
    """Loads templates from package data, installed as a wheel or in editable mode."""

    def __init__(self, root: Traversable) -> None:
        self.root = root

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        parts = template.replace("\\", "/").split("/")
        if template.startswith(("/", "\\")) or ":" in template or ".." in parts:
            # Only templates under js_templates/: never an absolute path or a climb out.
            raise jinja2.TemplateNotFound(template)
        node = self.root.joinpath(template)
        if not node.is_file():
            raise jinja2.TemplateNotFound(template)
        filename = str(node) if isinstance(node, Path) else None
        return node.read_text(encoding="utf-8"), filename, lambda: True


def _build(
    kind: type[jinja2.Environment], loader: jinja2.BaseLoader, autoescape: bool
) -> jinja2.Environment:
    """The one place environments are made: the same undefined-is-an-error, whitespace
    handling and filters for the function's templates and the page."""
    env = kind(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=autoescape,
    )
    env.filters.update(FILTERS)
    return env


@functools.cache
def environment() -> jinja2.Environment:
    """Built once per process: building it costs about 30 ms, more than a render. Jinja
    environments are safe to share once configured; nothing changes this one after."""
    return _build(jinja2.Environment, _TraversableLoader(templates_dir()), autoescape=False)


@functools.cache
def html_environment() -> jinja2.Environment:
    """For the maintenance page, a user's HTML template: Jinja's sandbox (no attribute
    of Python internals, so no ``cycler.__init__.__globals__``), HTML autoescaping, and
    nothing to include or import (a page is inlined whole; ``{% include '/etc/...' %}``
    must not put a local file into the deployed function)."""
    return _build(
        jinja2.sandbox.ImmutableSandboxedEnvironment, jinja2.DictLoader({}), autoescape=True
    )
