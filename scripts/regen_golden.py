"""Regenerate tests/golden/ from the samples; review the diff before committing.

<sample>.js is the deployed code byte for byte; <sample>.readable.js is the same code
before whitespace is stripped, so a template change reads as a normal diff there.

python scripts/regen_golden.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # scripts.sample_secret, when run from anywhere

from cffunc.config.load import load_config  # noqa: E402
from cffunc.function.render import readable_source, render  # noqa: E402
from cffunc.function.rules import compile_rules  # noqa: E402
from scripts.sample_secret import ENV, SAMPLES  # noqa: E402

SAMPLES_RENDERED = ("cffunc", "respond", "kvs", "tenants")
GOLDEN = ROOT / "tests" / "golden"


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for sample in SAMPLES_RENDERED:
        rules = compile_rules(load_config(SAMPLES / f"{sample}.toml"), ENV)
        code = render(rules).code
        target = GOLDEN / f"{sample}.js"
        target.write_text(code, encoding="utf-8")
        (GOLDEN / f"{sample}.readable.js").write_text(readable_source(rules), encoding="utf-8")
        print(f"{target}: {len(code.encode()):,} bytes")


if __name__ == "__main__":
    main()
