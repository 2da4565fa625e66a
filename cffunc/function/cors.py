"""Cross-origin API clients during maintenance: ``allow.cors_origins`` in the function.

A single-page app on another origin reads an API's answers only when they carry CORS
headers for it (the Fetch standard, fetch.spec.whatwg.org, "CORS protocol"); a maintenance
answer without them is a CORS error in the app, not the JSON it could show. A preflight
answered with a 503 fails too: the browser sends the request only after a preflight with
an ok (2xx) status ("CORS-preflight fetch"). So, for a configured origin:

- a preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) that
  would get maintenance is answered here, 204, allowing the method and the headers asked
  for (in :data:`TOKENS` form), with credentials, for :data:`MAX_AGE` seconds;
- every maintenance answer (JSON, text, the page, and the rewrite-mode 503) carries
  ``access-control-allow-origin`` with the request's own Origin and
  ``access-control-allow-credentials: true``.

An Origin that is not configured is never reflected (its preflight gets a bare 204, its
answers no CORS header), and the answers vary by Origin. A request that passes reaches the
origin, which answers its own CORS. These patterns feed the rendered function; the Python
decision model (:mod:`cffunc.function.decide`) matches origins its own way, and the
differential tests hold the two to each other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TOKENS = re.compile("^[!#$%&'*+.^_`|~0-9A-Za-z, -]{1,1024}$")
"""What a preflight's ``Access-Control-Request-Method`` and ``-Headers`` must be to be
echoed back: HTTP token characters (RFC 9110 5.6.2), commas and spaces, at most 1 KB.
Browsers send one method and lower-case names joined by ``,``; whatever else a client
sends in these characters can only confuse that client."""
MAX_AGE = 60
"""Seconds a browser may reuse a preflight answered here: short, so the origin's own
answers take over soon after maintenance ends."""
_LABELS = r"(?:[a-z0-9_-]+\.)+"
EXPOSED = ("retry-after", "refresh")
"""Headers of a maintenance answer a script may read only when exposed (not CORS-safelisted)."""


def origins_pattern(origins: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for the configured origins (checked by the config): an exact origin
    matches itself, ``scheme://*.domain[:port]`` any origin with that scheme and port whose
    host ends in ``.domain`` after one or more labels. None when there are none."""
    if not origins:
        return None
    parts = []
    for origin in origins:
        scheme, _, rest = origin.partition("://")
        if rest.startswith("*."):
            parts.append(re.escape(scheme + "://") + _LABELS + re.escape(rest[2:]))
        else:
            parts.append(re.escape(origin))
    return re.compile("^(?:" + "|".join(parts) + ")$")


def exposed(headers: Sequence[tuple[str, str]]) -> str | None:
    """The ``access-control-expose-headers`` value for a maintenance answer's headers."""
    names = [name for name, _ in headers if name in EXPOSED]
    return ", ".join(names) or None
