"""Terraform's configuration syntax, read far enough to compare meanings and find blocks.

``cffunc export terraform --check`` must accept a folder that ``terraform fmt`` has run
over (it realigns ``=``, re-indents, respaces expressions, quotes bare labels and unwraps
a string that is a single interpolation) or whose blocks a team has reordered, and must
refuse every change of meaning. So the check compares what the files say, not their
bytes: a file is read into blocks of attributes whose values are token sequences, with
whitespace, comments and alignment gone. Nothing else is normalised: an escape written
another way or a line broken elsewhere inside brackets counts as a change, so the check
errs towards "stale", never towards "matches".

The same reading tells what the other files of the folder declare, so that an override
file or a second declaration of the export's resources is seen (Terraform reads every
``.tf`` and ``.tf.json`` file of a module's folder).
Syntax: github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md (native) and
github.com/hashicorp/hcl/blob/main/json/spec.md (JSON).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

Token: TypeAlias = tuple[str, "str | tuple[Token, ...]"]
"""(kind, value): ("name", "aws"), ("number", "1"), ("op", "="), ("nl", ""),
("heredoc", raw text), or ("template", parts) whose parts are ("lit", raw text),
("interp", tokens) for ``${...}`` and ("directive", tokens) for ``%{...}``."""

NEWLINE: Token = ("nl", "")
_NAME = re.compile(r"[^\W\d][\w-]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_HEREDOC = re.compile(r"<<(-?)([^\W\d][\w-]*)\r?\n")
_OPERATORS = ("...", "==", "!=", "<=", ">=", "&&", "||", "=>", "::")
_OPENING, _CLOSING = "([{", ")]}"


class HclError(ValueError):
    """Text that is not Terraform's native syntax (or JSON syntax)."""


@dataclass(frozen=True)
class Block:
    type: str
    labels: tuple[str, ...]
    body: Body

    @property
    def address(self) -> str:
        """How Terraform names what the block declares: ``aws_x.y``, ``output.z``."""
        if self.type == "resource":
            return ".".join(self.labels)
        short = {"variable": "var"}.get(self.type, self.type)
        return ".".join((short, *self.labels))

    def meaning(self) -> tuple[object, ...]:
        return (self.type, self.labels, self.body.meaning())


@dataclass(frozen=True)
class Body:
    attributes: tuple[tuple[str, tuple[Token, ...]], ...]
    """In the order written; a name written twice stays twice (Terraform refuses that)."""
    blocks: tuple[Block, ...]

    def meaning(self) -> tuple[object, ...]:
        """What the body says: attributes in any order, nested blocks in theirs (the
        order of nested blocks can matter to a provider)."""
        attributes = sorted(self.attributes, key=repr)
        return (tuple(attributes), tuple(b.meaning() for b in self.blocks))


def meaning(body: Body) -> Counter[tuple[object, ...]]:
    """What a file says: its top-level blocks (and stray attributes) in any order."""
    items: Counter[tuple[object, ...]] = Counter(b.meaning() for b in body.blocks)
    items.update(("=", name, value) for name, value in body.attributes)
    return items


def read(text: str) -> Body:
    """A file in the native syntax; HclError when it is not one."""
    try:
        tokens = _Lexer(text.removeprefix("\ufeff")).tokens(closing=False)
        body, _ = _body(tokens, 0, nested=False)
    except RecursionError:
        raise HclError("blocks or strings nested too deep") from None
    return body


# ---- tokens ----


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def tokens(self, closing: bool) -> tuple[Token, ...]:
        """Up to the end, or (``closing``) up to and past the ``}`` that closes an
        interpolation; newlines inside an interpolation carry no meaning and are dropped."""
        text, out, depth = self.text, list[Token](), 0
        while self.at < len(text):
            c = text[self.at]
            if c in " \t" or text.startswith("\r\n", self.at):
                self.at += 1
            elif c == "\n":
                self.at += 1
                if not closing:
                    out.append(NEWLINE)
            elif c == "#" or text.startswith("//", self.at):
                end = text.find("\n", self.at)
                self.at = len(text) if end < 0 else end
            elif text.startswith("/*", self.at):
                end = text.find("*/", self.at + 2)
                if end < 0:
                    raise HclError("a /* comment is not closed")
                if "\n" in text[self.at : end] and not closing:
                    out.append(NEWLINE)
                self.at = end + 2
            elif c == '"':
                out.append(self._template())
            elif heredoc := _HEREDOC.match(text, self.at):
                out.append(self._heredoc(heredoc))
            elif name := _NAME.match(text, self.at):
                out.append(("name", name.group()))
                self.at = name.end()
            elif number := _NUMBER.match(text, self.at):
                out.append(("number", number.group()))
                self.at = number.end()
            else:
                if closing and c == "}" and depth == 0:
                    self.at += 1
                    return tuple(out)
                depth += (c in _OPENING) - (c in _CLOSING)
                operator = next((o for o in _OPERATORS if text.startswith(o, self.at)), c)
                out.append(("op", operator))
                self.at += len(operator)
        if closing:
            raise HclError("a ${ or %{ sequence is not closed")
        return tuple(out)

    def _template(self) -> Token:
        """A quoted string, its escapes kept as written."""
        text, parts, literal = self.text, list[Token](), list[str]()
        self.at += 1
        while True:
            if self.at >= len(text) or text[self.at] == "\n":
                raise HclError("a quoted string is not closed on its line")
            c = text[self.at]
            if c == '"':
                self.at += 1
                break
            if c == "\\" or text.startswith(("$${", "%%{"), self.at):
                step = 2 if c == "\\" else 3
                literal.append(text[self.at : self.at + step])
                self.at += step
            elif text.startswith(("${", "%{"), self.at):
                if literal:
                    parts.append(("lit", "".join(literal)))
                    literal.clear()
                self.at += 2
                parts.append(("interp" if c == "$" else "directive", self.tokens(closing=True)))
            else:
                literal.append(c)
                self.at += 1
        if literal:
            parts.append(("lit", "".join(literal)))
        return ("template", tuple(parts))

    def _heredoc(self, opening: re.Match[str]) -> Token:
        """``<<EOT`` (or ``<<-EOT``) up to the line that is the marker alone, kept raw."""
        marker = opening.group(2)
        at = opening.end()
        while True:
            end = self.text.find("\n", at)
            line = self.text[at : len(self.text) if end < 0 else end]
            if line.strip() == marker:
                self.at = len(self.text) if end < 0 else end
                return ("heredoc", opening.group(0) + self.text[opening.end() : at])
            if end < 0:
                raise HclError(f"the heredoc <<{marker} is not closed")
            at = end + 1


# ---- structure ----


def _body(tokens: tuple[Token, ...], at: int, nested: bool) -> tuple[Body, int]:
    attributes: list[tuple[str, tuple[Token, ...]]] = []
    blocks: list[Block] = []
    while True:
        while at < len(tokens) and tokens[at] == NEWLINE:
            at += 1
        if at == len(tokens):
            if nested:
                raise HclError("a block is not closed")
            return Body(tuple(attributes), tuple(blocks)), at
        if nested and tokens[at] == ("op", "}"):
            return Body(tuple(attributes), tuple(blocks)), at + 1
        kind, name = tokens[at]
        if kind != "name" or not isinstance(name, str):
            raise HclError(f"expected an argument or a block, found {text_of(tokens[at : at + 1])}")
        at += 1
        if at < len(tokens) and tokens[at] == ("op", "="):
            value, at = _expression(tokens, at + 1)
            attributes.append((name, _unwrapped(value)))
        else:
            labels: list[str] = []
            while at < len(tokens) and (label := _label(tokens[at])) is not None:
                labels.append(label)
                at += 1
            if at == len(tokens) or tokens[at] != ("op", "{"):
                raise HclError(f"{name}: expected '=' or a block's '{{'")
            body, at = _body(tokens, at + 1, nested=True)
            blocks.append(Block(name, tuple(labels), body))
        if at < len(tokens) and tokens[at] != NEWLINE and tokens[at] != ("op", "}"):
            raise HclError(f"{name}: expected a new line, found {text_of(tokens[at : at + 1])}")


def _expression(tokens: tuple[Token, ...], at: int) -> tuple[tuple[Token, ...], int]:
    """Up to the new line (or the closing ``}`` of a one-line block) that ends it; new
    lines inside brackets stay, one for a run of them."""
    out: list[Token] = []
    depth = 0
    while at < len(tokens):
        token = tokens[at]
        if depth == 0 and (token == NEWLINE or token == ("op", "}")):
            break
        kind, value = token
        if kind == "op" and isinstance(value, str):
            depth += (value in _OPENING) - (value in _CLOSING)
            if depth < 0:
                raise HclError(f"an unopened {value}")
        if token != NEWLINE or (out and out[-1] != NEWLINE):
            out.append(token)
        at += 1
    if not out:
        raise HclError("an argument has no value")
    if depth:
        raise HclError("a bracket is not closed")
    return tuple(out), at


def _unwrapped(value: tuple[Token, ...]) -> tuple[Token, ...]:
    """``"${x}"`` as ``x``, as ``terraform fmt`` rewrites it."""
    if len(value) == 1 and value[0][0] == "template":
        parts = value[0][1]
        if len(parts) == 1 and isinstance(parts[0], tuple) and parts[0][0] == "interp":
            inner = parts[0][1]
            if isinstance(inner, tuple):
                return inner
    return value


def _label(token: Token) -> str | None:
    """A block label, quoted or bare (``terraform fmt`` quotes bare ones)."""
    kind, value = token
    if kind == "name" and isinstance(value, str):
        return value
    if kind == "template" and isinstance(value, tuple) and all(p[0] == "lit" for p in value):
        return "".join(str(p[1]) for p in value)
    return None


def text_of(tokens: tuple[Token, ...]) -> str:
    """Tokens written back without spaces (for messages, and to read an address)."""
    out = []
    for kind, value in tokens:
        if kind == "template" and isinstance(value, tuple):
            out.append('"' + "".join(_part_text(p) for p in value) + '"')
        elif kind == "nl":
            out.append(" ")
        else:
            out.append(str(value))
    return "".join(out) or "the end"


def _part_text(part: Token) -> str:
    kind, value = part
    if isinstance(value, tuple):
        return ("${" if kind == "interp" else "%{") + text_of(value) + "}"
    return value


# ---- what a file declares ----


@dataclass(frozen=True)
class Declaration:
    verb: str
    """"declares", or the block that names an existing object: "moved", "import",
    "removed"."""
    address: str


STATE_BLOCKS = {"moved": ("from", "to"), "import": ("to",), "removed": ("from",)}
"""Blocks that point an address at other state, and their arguments naming addresses."""
_LABELS = {"resource": 2, "data": 2, "output": 1, "variable": 1, "module": 1}


def declarations(body: Body) -> Iterator[Declaration]:
    """What a native-syntax file declares, and the addresses its state blocks name."""
    for block in body.blocks:
        if block.type == "locals":
            for name, _ in block.body.attributes:
                yield Declaration("declares", f"local.{name}")
        elif block.type in _LABELS:
            yield Declaration("declares", block.address)
        elif block.type in STATE_BLOCKS:
            for name, value in block.body.attributes:
                if name in STATE_BLOCKS[block.type]:
                    yield Declaration(block.type, text_of(value))


def json_declarations(document: Any) -> Iterator[Declaration]:
    """The same for JSON syntax: ``{"resource": {"aws_x": {"y": {...}}}}``, where each
    level may also be a list of such objects, and "//" keys are comments."""
    if not isinstance(document, dict):
        raise HclError("the file is not a JSON object")
    for kind, value in document.items():
        if kind == "locals":
            for (name,), _ in _labelled(value, 1):
                yield Declaration("declares", f"local.{name}")
        elif kind in _LABELS:
            for labels, _ in _labelled(value, _LABELS[kind]):
                yield Declaration("declares", Block(kind, labels, Body((), ())).address)
        elif kind in STATE_BLOCKS:
            for _, item in _labelled(value, 0):
                if not isinstance(item, dict):
                    raise HclError(f"a {kind} block is not an object")
                for name in STATE_BLOCKS[kind]:
                    if isinstance(item.get(name), str):
                        yield Declaration(kind, _traversal(item[name]))


def _labelled(value: Any, depth: int) -> Iterator[tuple[tuple[str, ...], Any]]:
    items = value if isinstance(value, list) else [value]
    if depth == 0:
        yield from (((), item) for item in items)
        return
    for item in items:
        if not isinstance(item, dict):
            raise HclError("a block's labels are not a JSON object")
        for key, inner in item.items():
            if key != "//":
                for labels, body in _labelled(inner, depth - 1):
                    yield (key, *labels), body


def _traversal(text: str) -> str:
    """An address written as a JSON string, with or without ``${ }`` around it."""
    text = text.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return re.sub(r"\s+", "", text)
