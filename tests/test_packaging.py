"""A plain `pip install .` ships the templates, the runtime shims and py.typed."""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

from tests.helpers import Processes

ROOT = Path(__file__).resolve().parent.parent
IGNORED = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis")


def test_wheel_holds_templates_shims_and_py_typed(tmp_path: Path, processes: Processes) -> None:
    # Built from a copy without build/: setuptools reuses build/lib, where a module a
    # broken package list leaves out may linger from an earlier build.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*IGNORED))
    built = processes.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(source)],
        capture_output=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
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
    # Every module of the source tree ships: a package left out of pyproject's list would
    # install a cffunc whose command cannot import itself.
    package = ROOT / "cffunc"
    modules = {f"cffunc/{p.relative_to(package).as_posix()}" for p in package.rglob("*.py")}
    assert modules - names == set()


def test_a_source_checkout_reads_the_templates_beside_the_package(monkeypatch) -> None:
    # CI installs with `pip install .` and runs pytest from the checkout: `cffunc` is then
    # the source folder, which has no `js_templates` subpackage, and the templates must be
    # found at the top of the repository instead.
    from importlib import resources

    from cffunc.function import templates

    def missing(name: str) -> object:
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(resources, "files", missing)
    found = templates.templates_dir()
    assert Path(str(found)) == ROOT / "js_templates"
    assert found.joinpath("function.js.j2").is_file()
