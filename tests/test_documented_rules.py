"""The documentation's list of runtime rules is the table in cffunc/runtime/documented.py,
and every rule in it is exercised by a test marked ``@pytest.mark.rule("<id>")``."""

from __future__ import annotations

import ast
from pathlib import Path

from cffunc.runtime.documented import GUIDE, KNOWN_DIFFERENCES, RULES, rules_section

TESTS = Path(__file__).resolve().parent
PAGE = TESTS.parent / "docs" / "concepts" / "local-runtime.md"


def marked_rules() -> dict[str, list[str]]:
    """Each rule id a test names with ``rule("...")`` or ``pytest.mark.rule("...")``, and
    the files that do (read from the source, so no test has to run)."""
    found: dict[str, list[str]] = {}
    for path in sorted(TESTS.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name == "rule" and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, []).append(path.name)
    return found


def test_every_documented_rule_has_a_test() -> None:
    marked = marked_rules()
    untested = [rule.id for rule in RULES if rule.id not in marked]
    assert untested == [], f"rules without a @pytest.mark.rule test: {untested}"


def test_every_marked_rule_is_in_the_table() -> None:
    known = {rule.id for rule in RULES}
    assert sorted(set(marked_rules()) - known) == []


def test_rules_are_unique_and_cite_the_developer_guide() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert all(rule.source.startswith(GUIDE) and rule.page for rule in RULES)
    assert KNOWN_DIFFERENCES


def test_the_local_runtime_page_lists_the_table() -> None:
    """Refresh with `python scripts/update_runtime_rules.py`."""
    assert rules_section() in PAGE.read_text(encoding="utf-8")
