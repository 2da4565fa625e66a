"""Regenerate tests/golden/*.js from the samples; review the diff before committing.

python scripts/regen_golden.py
"""

from __future__ import annotations

from pathlib import Path

from cffunc.config import load_config
from cffunc.render import render
from cffunc.rules import compile_rules
from tests.helpers import ENV, SAMPLES

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden"


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for sample in ("cffunc", "respond"):
        code = render(compile_rules(load_config(SAMPLES / f"{sample}.toml"), ENV)).code
        target = GOLDEN / f"{sample}.js"
        target.write_text(code, encoding="utf-8")
        print(f"{target}: {len(code.encode()):,} bytes")


if __name__ == "__main__":
    main()
