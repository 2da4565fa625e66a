"""The early errors of declarations: a name declared twice where JavaScript refuses it.

The local runtime runs a function's code as the body of a function (so that it can be
loaded again for every event), where ``import`` has become ``var`` and a second
``function handler`` is allowed; CloudFront parses cloudfront-js-2.0 code as a module
(it takes ``import``, which only a module may hold), where both are syntax errors. So
the rules are checked on the parse tree, as a standard parser does before anything runs
(ECMAScript's static semantics; each case below was checked against ``node --check``):

- in a module's top level, imports, ``let``/``const``/``class`` and function declarations
  are lexical: no two may share a name, nor one with a ``var`` anywhere outside a function;
- in a function body, ``let``/``const`` may not share a name with a parameter, a ``var``
  or a function declaration of that body;
- in a block (and a ``for`` with ``let``), ``let``/``const`` and function declarations may
  not share a name with each other nor with a ``var`` inside the block.

A script (cloudfront-js-1.0) is checked the same way, except at its top level, where
function declarations are ``var``-like.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from tree_sitter import Node

from cffunc.function.source import Position, SourceError, nodes, position

_FUNCTIONS = (
    "function_declaration", "function_expression", "function", "arrow_function",
    "method_definition", "generator_function_declaration", "generator_function",
)  # fmt: skip
_BLOCKS = ("statement_block", "switch_body")


def check_bindings(root: Node, module: bool) -> None:
    """Raise :class:`SourceError` at the first name declared twice where that is an
    early error (``module``: the top level is a module's, else a script's)."""
    _scope(list(_top_lexical(root, module)), _var_names(root, not module))
    for node in nodes(root):
        if node.type in _FUNCTIONS:
            body = node.child_by_field_name("body")
            if body is not None and body.type == "statement_block":
                params = node.child_by_field_name("parameters") or node.child_by_field_name(
                    "parameter"
                )
                var = _var_names(body, functions=True)
                if params is not None:
                    var = itertools.chain(var, _identifiers(params))
                _scope(list(_lexical(body, functions=False)), var)
        elif node.type in _BLOCKS and not _is_function_body(node):
            _scope(list(_lexical(node, functions=True)), _var_names(node, False))
        elif node.type == "for_statement":
            initializer = node.child_by_field_name("initializer")
            body = node.child_by_field_name("body")
            if initializer is not None and initializer.type == "lexical_declaration":
                _scope(list(_declared(initializer)), _var_names(body, False) if body else iter(()))


def _scope(lexical: list[tuple[str, Node]], var: Iterable[tuple[str, Node]]) -> None:
    """Refuse a name ``lexical`` holds twice, or one ``var`` holds too. ``var`` is only
    walked when there is a lexical name to meet (ES5 code has none: nothing to walk)."""
    if not lexical:
        return
    seen: dict[str, Node] = {}
    for name, node in lexical:
        if name in seen:
            _refuse(name, node)
        seen[name] = node
    for name, node in var:
        if name in seen:
            _refuse(name, max(node, seen[name], key=lambda n: n.start_byte))


def _refuse(name: str, node: Node) -> None:
    at: Position = position(node)
    raise SourceError(f"'{name}' is declared twice in one scope (at {at}): rename one")


def _is_function_body(node: Node) -> bool:
    return node.parent is not None and node.parent.type in _FUNCTIONS


def _top_lexical(root: Node, module: bool) -> Iterator[tuple[str, Node]]:
    for child in root.named_children:
        if child.type == "import_statement":
            clause = next((c for c in child.children if c.type == "import_clause"), None)
            if clause is not None:
                yield from _identifiers(clause)
        elif _is_lexical(child, functions=module):
            yield from _declared(child)


def _lexical(block: Node, functions: bool) -> Iterator[tuple[str, Node]]:
    """The lexical declarations directly in ``block`` (function declarations too, for a
    block that is not a function body)."""
    for child in block.named_children:
        if child.type == "switch_case" or child.type == "switch_default":
            yield from _lexical(child, functions)
        elif _is_lexical(child, functions):
            yield from _declared(child)


def _is_lexical(node: Node, functions: bool) -> bool:
    """A let/const/class declaration, or (with ``functions``) a function declaration."""
    return node.type in ("lexical_declaration", "class_declaration") or (
        functions and node.type in ("function_declaration", "generator_function_declaration")
    )


def _var_names(node: Node, functions: bool) -> Iterator[tuple[str, Node]]:
    """``var`` names declared in ``node`` outside nested functions; with ``functions``,
    also the function declarations directly in it (var-like in a function body)."""
    if functions:
        for child in node.named_children:
            if child.type in ("function_declaration", "generator_function_declaration"):
                yield from _declared(child)
    stack = list(node.children)
    while stack:
        child = stack.pop()
        if child.type in _FUNCTIONS or child.type in ("class_declaration", "class"):
            continue
        if child.type == "variable_declaration":
            yield from _declared(child)
        elif child.type == "for_in_statement" and any(c.type == "var" for c in child.children):
            left = child.child_by_field_name("left")
            if left is not None:
                yield from _identifiers(left)
        stack.extend(child.children)


def _declared(node: Node) -> Iterator[tuple[str, Node]]:
    if node.type in (
        "function_declaration", "generator_function_declaration", "class_declaration",
    ):  # fmt: skip
        name = node.child_by_field_name("name")
        if name is not None and name.text is not None:
            yield name.text.decode(), name
        return
    for child in node.named_children:
        if child.type == "variable_declarator":
            target = child.child_by_field_name("name")
            if target is not None:
                yield from _identifiers(target)


def _identifiers(node: Node) -> Iterator[tuple[str, Node]]:
    """The binding names in a name, parameter list or import clause."""
    if node.type == "identifier" and node.text is not None:
        yield node.text.decode(), node
        return
    for child in node.named_children:
        if child.type in ("identifier", "formal_parameters", "import_clause", "rest_pattern"):
            yield from _identifiers(child)
        elif child.type == "assignment_pattern":
            left = child.child_by_field_name("left")
            if left is not None:
                yield from _identifiers(left)
