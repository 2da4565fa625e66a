"""Names declared twice where JavaScript refuses them: refused before anything runs.

Each case's expected answer is what ``node --check`` says of the same code as a module
(cloudfront-js-2.0) or a strict script (1.0); the local runtime alone would run some of
them (it loads a function as the body of a function, with imports as variables).
"""

from __future__ import annotations

import pytest

from cffunc.function.features import check_features
from cffunc.function.source import SourceError

H = "\nfunction handler(e){return e.request}"
MODULE_CASES = [
    ("import cf from 'cloudfront';\nimport cf from 'querystring';" + H, "cf", 2),
    ("import cf from 'cloudfront';\nvar cf = 1;" + H, "cf", 2),
    ("import cf from 'cloudfront';\nfunction cf(){}" + H, "cf", 2),
    ("function handler(e){return e.request}" + H, "handler", 2),
    ("var handler;" + H, "handler", 2),
    ("let x = 1;\nvar x = 2;" + H, "x", 2),
    ("if (true) { var cf = 1; }\nimport cf from 'cloudfront';" + H, "cf", 2),
    ("for (var cf in {}) {}\nimport cf from 'cloudfront';" + H, "cf", 2),
    ("const a = 1;\nfunction a(){}" + H, "a", 2),
    ("async function handler(e){return e.request}\nvar handler = 1;", "handler", 2),
    ("function handler(e){ let y; var y; return e.request }", "y", 1),
    ("for (let i = 0; i < 1; i++) { var i; }" + H, "i", 1),
    ("function handler(e){ { function g(){} function g(){} } return e.request }", "g", 1),
    ("function handler(e){ let e = 1; return e }", "e", 1),
]
ACCEPTED_MODULES = [
    "var x = 1;\nvar x = 2;" + H,
    "function f(){ var cf = 1; }\nimport cf from 'cloudfront';" + H,
    "function handler(e){ var e = 1; return e }",
    "function handler(e){ { let y = 1; } { let y = 2; } var z; return e.request }",
    "function handler(e){ function g(){} var g; return e.request }",
]
# A script's top-level function declarations are var-like: these load in 1.0.
ACCEPTED_SCRIPTS = [
    "function handler(e){return null}" + H,
    "var handler;" + H,
]


@pytest.mark.parametrize(("code", "name", "line"), MODULE_CASES)
def test_a_name_declared_twice_is_refused_with_where(code: str, name: str, line: int) -> None:
    with pytest.raises(SourceError, match=rf"'{name}' is declared twice .*\(at line {line},"):
        check_features(code, "cloudfront-js-2.0")


@pytest.mark.parametrize("code", ACCEPTED_MODULES)
def test_what_a_module_allows_is_allowed(code: str) -> None:
    check_features(code, "cloudfront-js-2.0")


@pytest.mark.parametrize("code", ACCEPTED_SCRIPTS)
def test_a_script_may_declare_a_function_twice(code: str) -> None:
    check_features(code, "cloudfront-js-1.0")
    with pytest.raises(SourceError, match="'handler' is declared twice"):
        check_features(code, "cloudfront-js-2.0")
