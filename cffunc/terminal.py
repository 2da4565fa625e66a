"""Text from elsewhere made safe to print on a terminal.

Log lines, reasons written to the store, names of functions someone else wrote and the
values of a scenario file reach people through terminals, which obey escape sequences: an
ESC or a BEL in a URI could set the window title, write the clipboard (OSC 52) or hide
what follows. :func:`shown` writes every control character as a visible escape. The
human formatters use it on every value they did not write themselves (and the CLI on
whole messages, as a last line of defence); ``--json`` documents stay exact, since JSON
escapes control characters itself.
"""

from __future__ import annotations

import re

__all__ = ["shown"]

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters a terminal acts on or that reorder what it shows: C0, DEL and C1 controls,
the line and paragraph separators, and the bidirectional marks, embeddings, overrides
and isolates (U+202E can make ``exe.txt`` read ``txt.exe``)."""


def shown(text: object, keep: str = "") -> str:
    """``text`` with every control character as ``\\xNN`` or ``\\uNNNN``, except those in
    ``keep`` (a whole message keeps its line breaks: ``keep="\\n"``)."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char in keep:
            return char
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    return CONTROL.sub(escape, str(text))
