"""CloudFront path patterns (``*`` any characters, ``?`` one) and the URIs they may let pass.

A pattern becomes one anchored regular expression whose syntax means the same in
Python's ``re`` and JavaScript's ``RegExp``, so the decision model and the rendered
function match exactly the same URIs.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

# A URI an allowlisted path pattern may let through: one every server behind CloudFront
# reads as the path that was matched. The rule is positive (what is allowed, not a list of
# known tricks), since origins normalize differently: Tomcat and Jetty read "..;" as "..",
# IIS decodes %u002e and maps full-width dots, some frameworks decode twice (%252e),
# Windows trims trailing dots and spaces. CloudFront itself matches behaviors against a
# normalized path but hands edge functions the URI as the viewer sent it (AWS Support on
# re:Post, "cloudfront behaviour path pattern matching"), so the function must not rely on
# any normalization. Safe means:
# - "/" then segments separated by single "/" (no empty segment, so no "//"), an optional
#   trailing "/";
# - each segment of RFC 3986 unreserved and sub-delim characters, ":" "@" and the "\"" CloudFront
#   path patterns allow, without ";"
#   (a path parameter), a backslash, or anything outside printable ASCII;
# - percent-encodings only of printable ASCII that is not ".", "/", "\", "%" or ";" (so
#   no encoded traversal, no double decoding, no control bytes, no %00, no non-ASCII);
# - a segment that starts with "." goes on with a letter, digit, "_", "~" or "-" (so
#   "/.well-known/" is safe; ".", "..", "..;", "..%20", ".%09" are not).
# Every other URI gets maintenance even if a pattern matches it. The Python model and the
# rendered function use this one regex (the js_regex filter).
# One case-insensitive regex (re.ASCII: only ASCII letters fold, as in JavaScript's "i"
# without "u"), so each letter range is written once: bytes count.
_CHAR = r"""[\w\-.~!$&'()*+,=:@"]"""
_PCT = r"%(?:2[0-46-9a-d]|3[0-9ac-f]|[46][0-9a-f]|5[0-9abd-f]|7[0-9a-e])"
_SEG = rf"(?!\.(?![\w~-]))(?:{_CHAR}|{_PCT})+"
SAFE_URI = re.compile(rf"^(?=/)(?:/{_SEG})*/?$", re.IGNORECASE | re.ASCII)  # the segment once


def is_safe(uri: str) -> bool:
    return SAFE_URI.fullmatch(uri) is not None


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
