"""The bypass secret the samples are rendered with for the golden files and the tests.

A fixed, public value: the golden files hold a key derived from it, so
``scripts/regen_golden.py`` and ``tests/`` must render with the same one. Scripts and
benchmarks import it from here, never from ``tests/``.
"""

from __future__ import annotations

from pathlib import Path

SECRET = "correct-horse-battery-staple-42"
ENV = {"CFFUNC_BYPASS_SECRET": SECRET}
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
