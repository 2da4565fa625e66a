"""Refresh the list of runtime rules and known differences in docs/concepts/local-runtime.md
from cffunc/runtime/documented.py (tests/test_documented_rules.py checks it).

python scripts/update_runtime_rules.py
"""

from __future__ import annotations

from pathlib import Path

from cffunc.runtime.documented import END, START, rules_section

PAGE = Path(__file__).resolve().parent.parent / "docs" / "concepts" / "local-runtime.md"


def main() -> None:
    text = PAGE.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{PAGE} has no section between {START} and {END}")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    PAGE.write_text(before + rules_section() + after, encoding="utf-8")


if __name__ == "__main__":
    main()
