"""Function source as CloudFront would read it: parsed with a real JavaScript grammar.

The local runtime cannot run ES module syntax in a plain script, so
``import x from 'mod'`` (cloudfront-js-2.0) is turned into ``var x = require('mod')``,
found by the parser rather than by pattern matching on text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

import tree_sitter_javascript
from tree_sitter import Language, Node, Parser, Tree

from cffunc.errors import CffuncError


class SourceError(CffuncError):
    """Code CloudFront would refuse: a syntax error, or a feature its runtime lacks."""


@dataclass(frozen=True)
class Position:
    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}"


@cache
def language() -> Language:
    return Language(tree_sitter_javascript.language())


@cache
def _parser() -> Parser:
    return Parser(language())


def parse(code: str) -> Tree:
    return _parser().parse(code.encode("utf-8"))


def position(node: Node) -> Position:
    return Position(node.start_point[0] + 1, node.start_point[1] + 1)


def nodes(root: Node) -> Iterator[Node]:
    """Every node of the tree below ``root``, ``root`` included, each before its children."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


def spliced(data: bytes, edits: Iterable[tuple[int, int, bytes]]) -> bytes:
    """``data`` with each ``(start, end, text)`` put in place of ``data[start:end]``, in
    one pass; edits at one offset go in the order they sort in."""
    pieces, at = [], 0
    for start, end, text in sorted(edits):
        if start < at:
            raise ValueError(f"edits overlap at byte {start}")
        pieces += [data[at:start], text]
        at = end
    pieces.append(data[at:])
    return b"".join(pieces)


def first_error(tree: Tree) -> Node | None:
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        if node.has_error:
            stack.extend(reversed(node.children))
    return None


def check_syntax(code: str) -> Tree:
    tree = parse(code)
    bad = first_error(tree)
    if bad is not None:
        raise SourceError(f"syntax error at {position(bad)}")
    return tree


@dataclass(frozen=True)
class DefaultImport:
    """A top-level ``import name from 'module'``: the only form CloudFront takes."""

    name: str
    module: str
    start: int
    end: int
    """Byte offsets of the statement in the UTF-8 source."""
    position: Position


def default_imports(code: str) -> list[DefaultImport]:
    """The code's import statements, each checked to be ``import name from 'module'``."""
    tree = check_syntax(code)
    data = code.encode("utf-8")
    found = []
    for node in tree.root_node.children:
        if node.type != "import_statement":
            continue
        clause = next((c for c in node.children if c.type == "import_clause"), None)
        module = node.child_by_field_name("source")
        names = [c for c in clause.children if c.type == "identifier"] if clause else []
        if clause is None or module is None or len(names) != 1 or len(clause.children) != 1:
            raise SourceError(
                f"unsupported import at {position(node)}: CloudFront Functions take only "
                "`import name from 'module'`"
            )
        found.append(
            DefaultImport(
                name=data[names[0].start_byte : names[0].end_byte].decode(),
                module=data[module.start_byte + 1 : module.end_byte - 1].decode(),
                start=node.start_byte,
                end=node.end_byte,
                position=position(node),
            )
        )
    return found


def imports_as_requires(code: str) -> str:
    """``import name from 'module'`` statements rewritten as ``var name = require(...)``."""
    edits = [
        (found.start, found.end, f"var {found.name} = require('{found.module}');".encode())
        for found in default_imports(code)
    ]
    return spliced(code.encode("utf-8"), edits).decode("utf-8")


LOOPS = ("for_statement", "for_in_statement", "while_statement", "do_statement")
TICK = "__cffuncTick"


def guard_loops(code: str) -> str:
    """Every loop body starts with a call to ``__cffuncTick()``, the runtime's watchdog.

    V8's own timeout cannot stop code running in promise callbacks (an ``async``
    handler after its first ``await``), so the runtime checks its time budget from
    inside every loop instead. Inserted on the same line: line numbers stay right.
    """
    inserts: list[tuple[int, int, bytes]] = []
    for node in nodes(check_syntax(code).root_node):
        body = node.child_by_field_name("body") if node.type in LOOPS else None
        if body is None:
            continue
        if body.type == "statement_block":
            inserts.append((body.start_byte + 1, body.start_byte + 1, f"{TICK}();".encode()))
        else:
            inserts.append((body.start_byte, body.start_byte, f"{{{TICK}();".encode()))
            inserts.append((body.end_byte, body.end_byte, b"}"))
    return spliced(code.encode("utf-8"), inserts).decode("utf-8")
