"""Check function source against a runtime's feature set before it runs, as CloudFront does.

V8 runs everything; CloudFront's runtimes do not. Both are ES 5.1 plus a documented list
of newer features (template literals, arrow functions, rest parameters, ``**``...).
cloudfront-js-2.0 adds ``const``, ``let``, ``async``/``await`` and ``import``; neither
lists classes, generators, ``for ... of``, destructuring, spread or default parameters
(functions-javascript-runtime-10.html and -20.html). Refusing what the runtime lacks,
with line and column, makes code that passes here code CloudFront accepts.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from cffunc.config.load import Runtime
from cffunc.function.source import SourceError, check_syntax, position

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


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


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
    """Raise :class:`SourceError` naming the first construct ``runtime`` refuses."""
    tree = check_syntax(code)
    for node in _walk(tree.root_node):
        refused = _refusal(node, runtime)
        if refused is not None:
            raise SourceError(f"{runtime} does not support {refused} (at {position(node)})")
