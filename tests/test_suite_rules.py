"""Rules the suite keeps so that a loaded CI machine cannot break it.

No test sleeps to synchronise (it waits for a line, a file or a socket instead), and the
scripts and benchmarks stand on the library, never on ``tests/``. (That a unit test starts
no process and opens no server is held by tests/conftest.py as each test runs.)
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sleeps_in(source: str) -> list[int]:
    """Lines that call time.sleep (as ``time.sleep`` or a ``sleep`` imported from time)."""
    tree = ast.parse(source)
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "time"
        for alias in node.names
        if alias.name == "sleep"
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if (
            isinstance(function, ast.Attribute)
            and function.attr == "sleep"
            and isinstance(function.value, ast.Name)
            and function.value.id == "time"
        ) or (isinstance(function, ast.Name) and function.id in imported):
            found.append(node.lineno)
    return found


def imports_of_tests(source: str) -> list[int]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        if any(name == "tests" or name.startswith("tests.") for name in names):
            found.append(node.lineno)
    return found


def test_no_test_sleeps() -> None:
    sleeping = {
        path.name: lines
        for path in sorted((ROOT / "tests").glob("*.py"))
        if (lines := sleeps_in(path.read_text(encoding="utf-8")))
    }
    assert sleeping == {}
    # The scan sees both spellings.
    assert sleeps_in("import time\ntime.sleep(2)\n") == [2]
    assert sleeps_in("from time import sleep as wait\nwait(1)\n") == [2]


def test_scripts_and_benchmarks_import_nothing_from_tests() -> None:
    importing = {
        str(path.relative_to(ROOT)): lines
        for folder in ("scripts", "benchmarks")
        for path in sorted((ROOT / folder).glob("*.py"))
        if (lines := imports_of_tests(path.read_text(encoding="utf-8")))
    }
    assert importing == {}
    assert imports_of_tests("from tests.helpers import ENV\n") == [1]
    assert imports_of_tests("def f():\n    import tests.test_deploy\n") == [2]
