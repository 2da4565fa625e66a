"""Check function source against a runtime's feature set before it runs, as CloudFront does.

V8 runs everything; CloudFront's runtimes do not. Both are ES 5.1 plus a documented list
of newer features (template literals, arrow functions, rest parameters, ``**``...).
cloudfront-js-2.0 adds ``const``, ``let``, ``async``/``await`` and ``import``; neither
lists classes, generators, ``for ... of``, destructuring, spread or default parameters
(functions-javascript-runtime-10.html and -20.html). Refusing what the runtime lacks,
with line and column, makes code that passes here code CloudFront accepts.
"""

from __future__ import annotations

from functools import cache

from tree_sitter import Node, Query, QueryCursor

from cffunc.config.load import Runtime
from cffunc.function.bindings import check_bindings
from cffunc.function.source import SourceError, check_syntax, language, position

# node type -> what to call it in the error, refused by every runtime
_NEVER = {
    "class_declaration": "classes",
    "class": "classes",
    "generator_function_declaration": "generators",
    "generator_function": "generators",
    "yield_expression": "generators",
    "object_pattern": "destructuring",
    "array_pattern": "destructuring",
    "spread_element": "spread syntax",
    "assignment_pattern": "default parameters",
    "export_statement": "export",
    "optional_chain": "optional chaining (?.)",
    "private_property_identifier": "classes",
}
# refused by cloudfront-js-1.0 only
_NOT_IN_1_0 = {
    "import_statement": "import",
    "await_expression": "await",
}


# Every node type _refusal may refuse: the query finds them in C, and only they are looked
# at in Python (a walk over every node of a rendered function took most of its check).
_CANDIDATES = (
    *_NEVER, *_NOT_IN_1_0, "lexical_declaration", "for_in_statement", "number",
    "function_declaration", "function_expression", "arrow_function", "method_definition",
    "binary_expression",
)  # fmt: skip


@cache
def _query() -> Query:
    return Query(language(), "[" + " ".join(f"({kind})" for kind in _CANDIDATES) + "] @node")


def _depth(node: Node) -> int:
    depth, parent = 0, node.parent
    while parent is not None:
        depth, parent = depth + 1, parent.parent
    return depth


def _refusal(node: Node, runtime: Runtime) -> str | None:
    kind = node.type
    if kind in _NEVER:
        return _NEVER[kind]
    if runtime == "cloudfront-js-1.0":
        if kind in _NOT_IN_1_0:
            return _NOT_IN_1_0[kind]
        if kind == "lexical_declaration" or (
            kind == "for_in_statement" and _has(node, "let", "const")
        ):
            return "const and let"
        if kind == "number" and "_" in node.text.decode():  # type: ignore[union-attr]
            return "numeric separators"
        if kind in (
            "function_declaration",
            "function_expression",
            "arrow_function",
            "method_definition",
        ) and _has(node, "async"):
            return "async functions"
    if kind == "for_in_statement" and _has(node, "of"):
        return "for ... of"
    if kind == "binary_expression" and _has(node, "??"):
        return "the ?? operator"
    return None


def _has(node: Node, *tokens: str) -> bool:
    return any(child.type in tokens for child in node.children)


def check_features(code: str, runtime: Runtime) -> None:
    """Raise :class:`SourceError` naming the first construct ``runtime`` refuses (first in
    the source: outer before inner where they start together), else for a name declared
    twice where JavaScript refuses it (:mod:`cffunc.function.bindings`)."""
    tree = check_syntax(code)
    found = QueryCursor(_query()).captures(tree.root_node).get("node", [])
    for node in sorted(found, key=lambda n: (n.start_byte, -n.end_byte, _depth(n))):
        refused = _refusal(node, runtime)
        if refused is not None:
            raise SourceError(f"{runtime} does not support {refused} (at {position(node)})")
    # CloudFront takes `import` in cloudfront-js-2.0 code, which only a module may hold:
    # 2.0 code is read as a module (UNCONFIRMED beyond that), 1.0 code as a script.
    check_bindings(tree.root_node, module=runtime == "cloudfront-js-2.0")
