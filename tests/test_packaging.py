"""A plain `pip install .` ships the templates, the runtime shims and py.typed."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_holds_templates_shims_and_py_typed(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("cffunc-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "cffunc/py.typed",
        "cffunc/js_templates/function.js.j2",
        "cffunc/js_templates/parts/decide.js.j2",
        "cffunc/deploy/toggles/store.py",
        "cffunc/config/starter/cffunc.toml",
        "cffunc/config/starter/release.sh",
        "cffunc/js_templates/maintenance.html",
        "cffunc/runtime/shims/crypto.js",
        "cffunc/runtime/shims/prelude.js",
    ):
        assert expected in names
