"""The runtime feature check finds its candidates with a tree-sitter query; a plain walk
over every node, in order, is the oracle it must agree with (the same refusal, the same
first position) on the rendered samples, the foreign samples and every refused construct,
alone and several at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tree_sitter import Node

from cffunc.config.load import load_config
from cffunc.function.bindings import check_bindings
from cffunc.function.features import _refusal, check_features
from cffunc.function.render import render
from cffunc.function.rules import compile_rules
from cffunc.function.source import SourceError, check_syntax, position
from tests.helpers import ENV, SAMPLES

RUNTIMES = ("cloudfront-js-1.0", "cloudfront-js-2.0")
SNIPPETS = [
    "class A {}", "var B = class {};", "function* g() { yield 1; }", "var g = function* () {};",
    "var {a} = o;", "var [a] = o;", "f(...xs);", "function f(a = 1) { return a; }",
    "export default 1;", "var x = o?.a;", "class C { #p = 1; }", "import cf from 'cloudfront';",
    "async function f() { await g(); }", "const a = 1;", "let a = 1;", "for (let k in o) {}",
    "for (const k of o) {}", "for (var k of o) {}", "var n = 1_000;", "var f = async () => 1;",
    "var o = { async m() {} };", "var x = a ?? b;", "var ok = 1 + 2 * 3;",
]  # fmt: skip


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def walked(code: str, runtime: str) -> str | None:
    """Every node in order, the first refused: what check_features must say (else what
    the check of names declared twice says, which comes after it)."""
    tree = check_syntax(code)
    for node in _walk(tree.root_node):
        refused = _refusal(node, runtime)  # type: ignore[arg-type]
        if refused is not None:
            return f"{runtime} does not support {refused} (at {position(node)})"
    try:
        check_bindings(tree.root_node, module=runtime == "cloudfront-js-2.0")
    except SourceError as error:
        return str(error)
    return None


def checked(code: str, runtime: str) -> str | None:
    try:
        check_features(code, runtime)  # type: ignore[arg-type]
    except SourceError as error:
        return str(error)
    return None


def corpus() -> list[str]:
    codes = list(SNIPPETS)
    codes += [" ".join(SNIPPETS[i : i + 3]) for i in range(0, len(SNIPPETS), 2)]  # several
    codes += ["\n".join(reversed(SNIPPETS))]
    for sample in ("cffunc.toml", "respond.toml", "kvs.toml"):
        codes.append(render(compile_rules(load_config(SAMPLES / sample), ENV)).code)
    codes += [p.read_text() for p in sorted((SAMPLES / "foreign").glob("*.js"))]
    return codes


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_query_refuses_what_a_walk_over_every_node_refuses(runtime: str) -> None:
    codes = corpus()
    assert [checked(c, runtime) for c in codes] == [walked(c, runtime) for c in codes]
    assert sum(walked(c, runtime) is not None for c in codes) >= 20  # the corpus refuses
