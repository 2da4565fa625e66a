"""Refresh the README's list of runtime rules and known differences from
cffunc/runtime/documented.py (tests/test_documented_rules.py checks it).

python scripts/update_readme_rules.py
"""

from __future__ import annotations

from pathlib import Path

from cffunc.runtime.documented import END, START, readme_section

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no section between {START} and {END}")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    README.write_text(before + readme_section() + after, encoding="utf-8")


if __name__ == "__main__":
    main()
