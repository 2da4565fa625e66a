"""The deployed form of the rendered function: the readable code, minified (pure: code in,
code out).

CloudFront counts every byte of a function, and a composition shares the 10,240 with
someone else's code. ``rjsmin`` drops whitespace and comments; then, with the same
tree-sitter grammar as the rest of cffunc, :func:`shorten_names` renames what only
cffunc's code can see, and :func:`shorten_tokens` writes a few tokens shorter.

Names. The deployed code renames what only cffunc's code can see: its
top-level functions and variables, parameters and locals, to names of one or two letters.
What others can see or supply keeps its name: ``handler`` (CloudFront and the composition
call it), imported names, ``import`` or runtime 1.0's top-level ``require`` (the
composition binds them by name), property names (the
event and the answers are read by CloudFront), and every global the code reads (``Date``,
``JSON``, ``cf`` ...). Mangled names are letters only: never a ``$``, which the
composition keeps for its own names (:mod:`cffunc.function.compose`).

Scopes are ES 5.1's, found with the same tree-sitter grammar as the rest of cffunc: a
function (``var`` and function declarations are hoisted to it) or a ``catch`` clause
(its parameter only). Two names may share a short name unless one would hide the other
where the other is used. The readable form (golden files) keeps the template's names.

Then statements: ``var`` declarations joined, returns merged, top-level function
declarations written as arrow functions (:func:`arrow_functions`), and a few tokens
shorter (:func:`shorten_tokens`).
"""

from __future__ import annotations

import functools
import itertools
import string
from collections.abc import Iterator
from dataclasses import dataclass, field

import rjsmin
from tree_sitter import Node

from cffunc.function.source import SourceError, check_syntax, nodes, spliced

KEPT = frozenset({"handler"})
"""Names others call."""
RESERVED_WORDS = frozenset({"do", "if", "in", "of", "for", "let", "new", "try", "var", "NaN"})
"""The words of one to three letters a short name could spell (at most two are made)."""
FUNCTIONS = ("function_declaration", "function_expression", "function")
# Syntax whose names this pass does not model (ES 2015+ bindings and shorthands): refused
# rather than renamed wrongly. cffunc's templates are ES 5.1 and never use them.
UNMODELLED = frozenset(
    {
        "lexical_declaration",
        "class_declaration",
        "class",
        "arrow_function",
        "shorthand_property_identifier",
        "shorthand_property_identifier_pattern",
        "object_pattern",
        "array_pattern",
        "generator_function_declaration",
        "generator_function",
        "labeled_statement",
        "with_statement",
    }
)


@dataclass(eq=False)
class _Scope:
    parent: _Scope | None
    catch: bool = False
    """A catch clause's: it holds its parameter; ``var`` goes to the function around it."""
    names: dict[str, _Binding] = field(default_factory=dict)

    def chain(self) -> Iterator[_Scope]:
        scope: _Scope | None = self
        while scope is not None:
            yield scope
            scope = scope.parent

    def resolve(self, name: str) -> _Binding | None:
        return next((s.names[name] for s in self.chain() if name in s.names), None)


@dataclass(eq=False)
class _Binding:
    name: str
    scope: _Scope
    order: int
    uses: list[Node] = field(default_factory=list)
    seen_from: set[_Scope] = field(default_factory=set)
    """Scopes the name is used in (or declared in)."""


def short_names() -> Iterator[str]:
    """a, b, ... Z, then two letters: letters only (no ``$``, no ``_``, no digits)."""
    letters = string.ascii_lowercase + string.ascii_uppercase
    yield from letters
    for first, second in itertools.product(letters, letters):
        yield first + second


@functools.lru_cache(maxsize=64)
def minify(code: str) -> str:
    """``code`` as deployed: whitespace dropped, names, statements and tokens shortened.

    Kept for the last few codes (pure, and most of a render's time: a command that
    renders one config twice, status after publish say, minifies it once)."""
    joined = join_statements(shorten_names(str(rjsmin.jsmin(code))))
    return shorten_tokens(join_statements(arrow_functions(merge_returns(joined)))) + "\n"


def shorten_names(code: str) -> str:
    """``code`` with its own names shortened; SourceError for syntax it does not model."""
    tree = check_syntax(code)
    scopes: dict[int, _Scope] = {}
    bindings: list[_Binding] = []
    root = _Scope(None)
    kept = set(KEPT)

    def declare(scope: _Scope, node: Node) -> None:
        name = _text(node)
        binding = scope.names.get(name)
        if binding is None:
            binding = scope.names[name] = _Binding(name, scope, len(bindings))
            bindings.append(binding)

    def function_scope(scope: _Scope) -> _Scope:
        while scope.parent is not None and scope.catch:
            scope = scope.parent
        return scope

    # Pass 1: scopes and declarations (hoisted).
    def collect(node: Node, scope: _Scope) -> None:
        if node.type in UNMODELLED:
            raise SourceError(f"cannot shorten names around a {node.type}")
        if node.type == "import_clause":
            kept.update(_text(c) for c in node.named_children if c.type == "identifier")
            return
        if node.type in FUNCTIONS:
            name = node.child_by_field_name("name")
            inner = _Scope(scope)
            scopes[node.id] = inner
            if name is not None:
                home = inner if node.type == "function_expression" else function_scope(scope)
                declare(home, name)
            parameters = node.child_by_field_name("parameters")
            for child in parameters.named_children if parameters else []:
                if child.type != "identifier":
                    raise SourceError(f"cannot shorten names around a {child.type} parameter")
                declare(inner, child)
            body = node.child_by_field_name("body")
            if body is not None:
                collect(body, inner)
            return
        if node.type == "catch_clause":
            inner = _Scope(scope, catch=True)
            scopes[node.id] = inner
            parameter = node.child_by_field_name("parameter")
            if parameter is not None:
                if parameter.type != "identifier":
                    raise SourceError("cannot shorten names around a catch pattern")
                declare(inner, parameter)
            body = node.child_by_field_name("body")
            if body is not None:
                collect(body, inner)
            return
        if node.type == "variable_declarator":
            name = node.child_by_field_name("name")
            if name is None or name.type != "identifier":
                raise SourceError("cannot shorten names around a destructuring declaration")
            declare(function_scope(scope), name)
            value = node.child_by_field_name("value")
            callee = value.child_by_field_name("function") if value is not None else None
            if scope is root and callee is not None and _text(callee) == "require":
                kept.add(_text(name))  # runtime 1.0's import: var crypto = require('crypto')
        if node.type == "for_in_statement":
            kind = node.child_by_field_name("kind")
            left = node.child_by_field_name("left")
            if kind is not None and left is not None:
                if _text(kind) != "var" or left.type != "identifier":
                    raise SourceError("cannot shorten names around a for-in declaration")
                declare(function_scope(scope), left)
        for child in node.children:
            collect(child, scope)

    collect(tree.root_node, root)

    # Pass 2: every identifier to its binding; the free ones are globals, never renamed.
    free: set[str] = set()

    def resolve(node: Node, scope: _Scope) -> None:
        if node.type == "import_statement":
            return
        inner = scopes.get(node.id)
        if node.type == "identifier":
            name = _text(node)
            binding = scope.resolve(name)
            if binding is None:
                free.add(name)
            else:
                binding.uses.append(node)
                binding.seen_from.add(scope)
            return
        if inner is not None and node.type in FUNCTIONS:
            # a declaration's name belongs to the scope around it
            declared = node.child_by_field_name("name")
            outside = declared.id if declared and node.type != "function_expression" else None
            for child in node.children:
                if child.id == outside:
                    resolve(child, scope)
                else:
                    resolve(child, inner)
            return
        for child in node.children:
            resolve(child, inner or scope)

    resolve(tree.root_node, root)

    # Which bindings may not share a name: those of one scope, and an outer one with an
    # inner one declared between it and a place it is used.
    clashes: dict[_Binding, set[_Binding]] = {b: set() for b in bindings}
    for binding in bindings:
        for other in binding.scope.names.values():
            if other is not binding:
                clashes[binding].add(other)
        for used_in in binding.seen_from:
            for scope in used_in.chain():
                if scope is binding.scope:
                    break
                for inner in scope.names.values():
                    clashes[binding].add(inner)
                    clashes[inner].add(binding)

    taken = free | kept | RESERVED_WORDS
    new: dict[_Binding, str] = {}
    for binding in sorted(bindings, key=lambda b: (-len(b.uses), b.order)):
        if binding.name in kept and binding.scope is root:
            new[binding] = binding.name
            continue
        near = {new[c] for c in clashes[binding] if c in new}
        new[binding] = next(n for n in short_names() if n not in taken and n not in near)

    edits = [(use.start_byte, use.end_byte, new[b].encode()) for b in bindings for use in b.uses]
    return spliced(code.encode("utf-8"), edits).decode("utf-8")


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8")


LOOPS_AND_IFS = frozenset({"if_statement", "for_statement", "for_in_statement", "while_statement"})
SIMPLE_STATEMENTS = frozenset(
    {
        "expression_statement",
        "return_statement",
        "break_statement",
        "continue_statement",
        "throw_statement",
    }
)


def join_statements(code: str) -> str:
    """Statements joined where the grammar lets them be: ``var a=1;var b=2`` as ``var
    a=1,b=2``; a block of one simple statement (an expression, ``return``, ``break``,
    ``continue``, ``throw``) after ``if (...)``, ``else`` or a loop's head, without its
    braces (never a block holding an ``if``, whose ``else`` could then change owner)."""
    tree = check_syntax(code)
    data = code.encode("utf-8")
    edits: list[tuple[int, int, bytes]] = []
    for node in nodes(tree.root_node):
        previous = node.prev_sibling
        if (
            node.type == "variable_declaration"
            and previous is not None
            and previous.type == "variable_declaration"
            and previous.end_byte == node.start_byte
            and data[previous.end_byte - 1 : previous.end_byte] == b";"
            and data[node.start_byte : node.start_byte + 4] == b"var "
        ):
            edits.append((previous.end_byte - 1, node.start_byte + 4, b","))
        parent = node.parent
        if (
            node.type == "statement_block"
            and parent is not None
            and (parent.type in LOOPS_AND_IFS or parent.type == "else_clause")
            and node.named_child_count == 1
            and node.named_children[0].type in SIMPLE_STATEMENTS
        ):
            inner = node.named_children[0]
            if parent.type == "if_statement" and parent.child_by_field_name("consequence") != node:
                continue
            if parent.type != "else_clause" and data[node.start_byte - 1 : node.start_byte] != b")":
                continue
            opening = b" " if parent.type == "else_clause" else b""
            closing = b"" if data[inner.end_byte - 1 : inner.end_byte] == b";" else b";"
            edits.append((node.start_byte, node.start_byte + 1, opening))
            edits.append((node.end_byte - 1, node.end_byte, closing))
    return spliced(data, edits).decode("utf-8")


BINDS_TIGHTER_THAN_OR = frozenset(
    {
        "identifier",
        "member_expression",
        "subscript_expression",
        "call_expression",
        "unary_expression",
        "await_expression",
        "parenthesized_expression",
        "true",
        "false",
        "null",
        "number",
        "string",
        "regex",
    }
)
"""Expressions that need no parentheses as an operand of ``||`` or before ``?``
(a binary expression needs none either, unless it is ``??``, which may not meet ``||``)."""


def merge_returns(code: str) -> str:
    """Returns merged, as terser does, until none is left to merge: ``if(a)return x;
    if(b)return x;`` as ``if(a||b)return x;`` (x the same text; b is still evaluated
    only when a is false), and ``if(a)return x;return y;`` as ``return a?x:y;``."""
    while True:
        merged = _merge_returns_once(code)
        if merged == code:
            return code
        code = merged


def _merge_returns_once(code: str) -> str:
    tree = check_syntax(code)
    data = code.encode("utf-8")
    edits: list[tuple[int, int, bytes]] = []
    for node in nodes(tree.root_node):
        if node.type not in ("program", "statement_block"):
            continue
        statements = node.named_children
        index = 0
        while index + 1 < len(statements):
            first, second = statements[index], statements[index + 1]
            guarded = _guarded_return(first)
            if guarded is None:
                index += 1
                continue
            condition, value = guarded
            then = _guarded_return(second)
            stop = ";" if _text(second).endswith(";") else ""
            if then is not None and _text(then[1]) == _text(value):
                text = f"if({_operand(condition)}||{_operand(then[0])})return {_text(value)}{stop}"
            elif second.type == "return_statement" and second.named_child_count == 1:
                otherwise = second.named_children[0]
                text = f"return {_operand(condition)}?{_branch(value)}:{_branch(otherwise)}{stop}"
            else:
                index += 1
                continue
            edits.append((first.start_byte, second.end_byte, text.encode("utf-8")))
            index += 2
    # One of two overlapping merges (one inside a function expression in the other's
    # return) waits for the next pass.
    kept: list[tuple[int, int, bytes]] = []
    for edit in sorted(edits):
        if not kept or edit[0] >= kept[-1][1]:
            kept.append(edit)
    return spliced(data, kept).decode("utf-8")


def _guarded_return(node: Node) -> tuple[Node, Node] | None:
    """(condition, value) of ``if(condition)return value;`` without an else."""
    if node.type != "if_statement" or node.child_by_field_name("alternative") is not None:
        return None
    condition = node.child_by_field_name("condition")
    consequence = node.child_by_field_name("consequence")
    if (
        condition is None
        or condition.named_child_count != 1
        or consequence is None
        or consequence.type != "return_statement"
        or consequence.named_child_count != 1
    ):
        return None
    return condition.named_children[0], consequence.named_children[0]


def _operand(node: Node) -> str:
    operator = node.child_by_field_name("operator") if node.type == "binary_expression" else None
    tight = node.type in BINDS_TIGHTER_THAN_OR or (
        node.type == "binary_expression" and operator is not None and operator.type != "??"
    )
    return _text(node) if tight else f"({_text(node)})"


def _branch(node: Node) -> str:
    return f"({_text(node)})" if node.type == "sequence_expression" else _text(node)


STATEMENTS_ENDING_IN_SEMICOLON = frozenset(
    {
        "expression_statement",
        "return_statement",
        "variable_declaration",
        "break_statement",
        "continue_statement",
        "throw_statement",
    }
)


def shorten_tokens(code: str) -> str:
    """Tokens written shorter with the same meaning: ``true``/``false`` as ``!0``/``!1``;
    ``===``/``!==`` as ``==``/``!=`` where one side is a ``typeof`` and the other a string
    (both sides are strings, so the two compare alike); the ``;`` of a statement that a
    ``}`` follows (automatic semicolon insertion puts it back); the line break ``rjsmin``
    keeps after a block that ends a statement (a function declaration's body, an ``if``'s,
    a loop's)."""
    tree = check_syntax(code)
    data = code.encode("utf-8")
    edits: list[tuple[int, int, bytes]] = []
    for node in nodes(tree.root_node):
        if node.type in ("true", "false"):
            start = node.start_byte
            if start >= 2 and data[start - 1 : start] == b" " and _word_end(data, start - 1):
                start -= 1  # "return true": "return!0"
            edits.append((start, node.end_byte, b"!0" if node.type == "true" else b"!1"))
        elif node.type == "binary_expression":
            operator = node.child_by_field_name("operator")
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if (
                operator is not None
                and operator.type in ("===", "!==")
                and left is not None
                and right is not None
                and {_kind(left), _kind(right)} == {"typeof", "string"}
            ):
                edits.append((operator.start_byte, operator.end_byte, operator.type[:2].encode()))
        elif node.type in STATEMENTS_ENDING_IN_SEMICOLON:
            last = node.children[-1] if node.children else None
            if last is not None and last.type == ";":
                after = data[last.end_byte : last.end_byte + 1]
                if after == b"}":
                    edits.append((last.start_byte, last.end_byte, b""))
                elif after == b"\n":
                    edits.append((last.end_byte, last.end_byte + 1, b""))  # the ; ends it
            if (
                node.type == "return_statement"
                and data[node.start_byte + 6 : node.start_byte + 7] == b" "
                and not _word_start(data, node.start_byte + 7)
            ):
                edits.append((node.start_byte + 6, node.start_byte + 7, b""))  # "return !a"
        elif (
            node.type == "statement_block"
            and node.parent is not None
            and node.parent.type != "function_expression"
            and data[node.end_byte : node.end_byte + 1] == b"\n"
        ):
            edits.append((node.end_byte, node.end_byte + 1, b""))
    return spliced(data, edits).decode("utf-8")


def arrow_functions(code: str) -> str:
    """Top-level function declarations as arrow functions held in ``var``: ``function
    f(a){return x}`` as ``var f=a=>x;`` (both runtimes take arrow functions:
    functions-javascript-runtime-10.html and -20.html, "Functions"). Kept as they are:
    ``handler`` (CloudFront and the composition call it by its declaration), an ``async``
    function (runtime 2.0 does not take async closures: functions-javascript-runtime-20.html,
    "Statements"), and one whose body reads ``this`` or ``arguments`` (an arrow function
    has neither of its own). A declaration is hoisted and a ``var`` is not: a function
    the top-level code names outside any function (which may run before the ``var`` is
    assigned) stays a declaration, as does one called with ``new`` (an arrow function is
    no constructor). Every other function runs from ``handler``, once all are assigned."""
    tree = check_syntax(code)
    data = code.encode("utf-8")
    early = {
        _text(n)
        for statement in tree.root_node.named_children
        if statement.type != "function_declaration"
        for n in nodes(statement)
        if n.type == "identifier"
    }
    constructed = {
        _text(constructor)
        for n in nodes(tree.root_node)
        if n.type == "new_expression"
        and (constructor := n.child_by_field_name("constructor")) is not None
    }
    edits: list[tuple[int, int, bytes]] = []
    for node in tree.root_node.named_children:
        if node.type != "function_declaration":
            continue
        name = node.child_by_field_name("name")
        parameters = node.child_by_field_name("parameters")
        body = node.child_by_field_name("body")
        if (
            name is None
            or parameters is None
            or body is None
            or _text(name) in KEPT | early | constructed
            or any(child.type == "async" for child in node.children)
            or any(p.type != "identifier" for p in parameters.named_children)
            or any(
                n.type == "this" or (n.type == "identifier" and _text(n) == "arguments")
                for n in nodes(body)
            )
        ):
            continue
        names = [_text(p) for p in parameters.named_children]
        head = names[0] if len(names) == 1 else "(" + ",".join(names) + ")"
        statements = body.named_children
        if (
            len(statements) == 1
            and statements[0].type == "return_statement"
            and statements[0].named_child_count == 1
        ):
            value = statements[0].named_children[0]
            text = _text(value)
            # A { would open a block ({a:1}[k] too), a comma would end the declarator.
            if text.startswith("{") or value.type == "sequence_expression":
                text = f"({text})"
        else:
            text = _text(body)
        end = node.end_byte + (1 if data[node.end_byte : node.end_byte + 1] == b"\n" else 0)
        edits.append((node.start_byte, end, f"var {_text(name)}={head}=>{text};".encode()))
    return spliced(data, edits).decode("utf-8")


def _kind(node: Node) -> str:
    if node.type == "unary_expression":
        operator = node.child_by_field_name("operator")
        return operator.type if operator is not None else ""
    return node.type


def _word_start(data: bytes, offset: int) -> bool:
    """Whether the byte at ``offset`` could continue a word (so a space before it matters)."""
    byte = data[offset]  # a byte of a multi-byte character may be part of a word too
    return byte >= 0x80 or chr(byte).isalnum() or data[offset : offset + 1] in (b"_", b"$", b"\\")


def _word_end(data: bytes, offset: int) -> bool:
    """Whether the byte before ``offset`` ends a word (so a space before it matters only
    if the next token starts with a word character)."""
    return chr(data[offset - 1]).isalnum() or data[offset - 1 : offset] in (b"_", b"$")
