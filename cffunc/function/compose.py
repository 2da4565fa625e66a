"""Compose cffunc's function with a foreign CloudFront Function already on the slot.

CloudFront runs one function per viewer event of a cache behavior, and most slots already
hold one (an SPA rewrite, redirects, auth, security headers). A composed function runs
both (pure: code in, code out):

- viewer-request: cffunc decides first. A maintenance answer (or bypass redirect) is
  returned exactly as cffunc alone returns it; a request that passes goes to the foreign
  handler unchanged, and whatever it returns (request, response, or a promise of either)
  is returned as is.
- viewer-response: the foreign handler runs first, then cffunc on its result, so the
  foreign headers (security headers, say) reach the maintenance page too and cffunc's
  status and headers win.

The foreign code is kept verbatim inside a function scope, so none of its names can meet
cffunc's (cffunc's own code is scoped the same way); its ``import`` lines move to the top,
merged with cffunc's (one import per module; a second local name becomes an alias).
The composition runs under the foreign function's runtime, or 2.0 when either side needs
it; code that cannot run under that runtime is refused, with the reason.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from tree_sitter import Node, Tree

from cffunc.config.load import Config, Runtime
from cffunc.errors import CffuncError
from cffunc.function.features import check_features
from cffunc.function.render import SIZE_LIMIT, render_code
from cffunc.function.rules import PASS_HEADER, MaintenanceRules, compile_rules
from cffunc.function.source import (
    SourceError,
    check_syntax,
    default_imports,
    nodes,
    position,
    spliced,
)
from cffunc.function.templates import js

V1: Runtime = "cloudfront-js-1.0"
V2: Runtime = "cloudfront-js-2.0"
COMMENT_PREFIX = "cffunc composition: "

VIEWER_REQUEST, VIEWER_RESPONSE = "viewer-request", "viewer-response"
# Every name the composition declares starts with C$; foreign code that names one is refused.
RESERVED_PREFIX = "C$"


def glue(events: tuple[str, ...], mark_pass: bool, roots: str = "") -> str:
    """The end of cffunc's closure: the composed handler and what it needs. ES 5.1, so it
    runs under both runtimes; a thenable is chained rather than awaited (1.0 has no
    async).

    C$m is cffunc's handler, which answers null for a request (or response) it lets
    through. Only then does the foreign handler run, on ``events``: C$r loads the foreign
    module body (C$F) the first time, after C$l has frozen the built-ins and locked the
    globals, so no foreign code ever runs before cffunc decides, and nothing it changes
    reaches cffunc's later decisions. Maintenance answers are cffunc's alone.

    ``mark_pass`` (rewrite mode, where cffunc's viewer-response half decides again): a
    request that passed and that the foreign handler sends on gets the pass header, added
    after the foreign handler ran (leaving any object that resists untouched). Whether
    viewer-response sees the request as the viewer sent it or as viewer-request returned
    it is not documented (UNCONFIRMED); either way the answer is right: the marker wins if
    present, else cffunc decides on the request it sees, which is then the viewer's own."""
    on_request = "e.request"
    if VIEWER_REQUEST in events:
        on_request = "C$p(C$r()(e))" if mark_pass else "C$r()(e)"
    on_response = "C$r()(e)" if VIEWER_RESPONSE in events else "e.response"
    marker = ""
    if mark_pass and VIEWER_REQUEST in events:
        marker = (
            "function C$p(r){try{if(r&&typeof r.then==='function')"
            "return Promise.resolve(r).then(C$p);"
            "if(r&&typeof r==='object'&&!('statusCode' in r)){"
            "if(!r.headers||typeof r.headers!=='object')r.headers={};"
            f"r.headers[{js(PASS_HEADER)}]={{value:'1'}}}}}}catch(x){{}}return r}}\n"
        )
    return (
        f"var C$m=handler,C$f=null;\n{LOCKDOWN}{roots}}}\n"
        "function C$r(){if(!C$f){C$l();C$f=C$F()}return C$f}\n"
        + marker
        + "function C$o(e){return e&&e.context&&e.context.eventType==='viewer-response'?"
        f"{on_response}:{on_request}}}\n"
        "return function(e){var x=C$m(e);return x&&typeof x.then==='function'?"
        "x.then(function(m){return m===null?C$o(e):m}):x===null?C$o(e):x}"
    )


# Run once, before the first foreign code: every built-in reachable from the global
# object (with its prototype chain, and a constructor's prototype) is frozen and the
# global object's own properties locked, so that foreign code can neither replace what
# cffunc's decision calls (RegExp.prototype.test, Date.now, String.prototype methods,
# JSON, Promise.prototype.then...) nor add to a prototype what cffunc would read as data
# (Object.prototype.cookie). Date is also frozen by name (the local runtime passes its
# frozen clock as Date), and so are the iterator prototypes (no global names them; the
# local runtime's crypto goes through them), the modules cffunc uses and the objects it
# makes with them (from _roots(): glue() puts them at the end, then closes the function).
# Each step is in a try: what a runtime does not let freeze stays as it is; nothing
# cffunc's code calls is left out.
LOCKDOWN = (
    "function C$l(){var O=Object,s=[],g=typeof globalThis<'u'?globalThis:this,n,i,d;"
    "function z(o){for(;O(o)===o&&s.indexOf(o)<0;"
    "o=O.getPrototypeOf(o)){s.push(o);try{O.freeze(o);typeof o=='function'&&z(o.prototype)}"
    "catch(x){}}}"
    "if(g){s.push(g);z(O.getPrototypeOf(g));n=O.getOwnPropertyNames(g);"
    "for(i=0;i<n.length;i++)try{d=O.getOwnPropertyDescriptor(g,n[i]);"
    "if('value' in d){O.defineProperty(g,n[i],{writable:false,configurable:false});"
    "z(d.value)}}catch(x){}}"
    "z(Date);try{z([][Symbol.iterator]());z(''[Symbol.iterator]());z(new Map().keys());"
    "z(new Set().keys())}catch(x){}"
)


# What cffunc's code makes with each module it holds, frozen with the module.
_MADE_WITH = {"cloudfront": "{}.kvs()", "crypto": "{}.createHmac('sha256','k')"}


def _roots(imports: _Imports, rules: MaintenanceRules) -> str:
    """The lockdown's roots for the modules cffunc's code holds, by the names it holds them
    under: its imports, and on 1.0 the crypto module the bypass check requires (named
    ``crypto`` by parts/constants.js.j2). Never a name merely found in the code: a reason
    that mentions crypto must not make the lockdown name an undeclared variable."""
    held = list(imports.names)
    if rules.bypass is not None and not any(module == "crypto" for _, module in held):
        held.append(("crypto", "crypto"))
    roots = ""
    for name, module in held:
        roots += f"z({name});"
        if module in _MADE_WITH:
            roots += f"try{{z({_MADE_WITH[module].format(name)})}}catch(x){{}}"
    return roots


def guess_events(code: str) -> tuple[str, ...]:
    """The events a function file is for, when ``--with-event`` does not say: both if it
    reads the event type, viewer-response if it works on the response, else viewer-request."""
    if "eventType" in code:
        return (VIEWER_REQUEST, VIEWER_RESPONSE)
    if re.search(r"\.response\b", code):
        return (VIEWER_RESPONSE,)
    return (VIEWER_REQUEST,)


# cloudfront-js-1.0's byte-string methods; 2.0 does not have them, and in 2.0 hash.digest()
# and hmac.digest() without an encoding return a Buffer instead of a string
# (functions-javascript-runtime-features.html, "changes compared to 1.0").
_ONLY_IN_1_0 = ("bytesFrom", "fromBytes", "fromUTF8", "toBytes", "toUTF8")


class CompositionError(CffuncError):
    """A foreign function cffunc cannot compose with; the message says why."""


@dataclass(frozen=True)
class ForeignFunction:
    """A CloudFront Function that was on a slot cffunc needs."""

    name: str
    runtime: Runtime
    code: str
    kvs_arns: tuple[str, ...] = ()
    """The KeyValueStore it reads (a function has at most one); the composition keeps it."""

    @property
    def digest(self) -> str:
        return code_digest(self.code)


@dataclass(frozen=True)
class ComposedFunction:
    name: str
    runtime: Runtime
    code: str
    comment: str
    foreign: ForeignFunction
    ours_bytes: int
    """cffunc's part, imports included."""
    foreign_bytes: int
    """The foreign code as it was."""
    events: tuple[str, ...] = (VIEWER_REQUEST,)
    """The events the foreign handler runs on (the slots it was associated with)."""

    @property
    def total(self) -> int:
        return len(self.code.encode("utf-8"))

    @property
    def glue_bytes(self) -> int:
        return self.total - self.ours_bytes - self.foreign_bytes


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()[:16]


def detect_runtime(code: str) -> Runtime:
    """1.0 unless the code needs 2.0 (``import``, ``const``/``let``, ``async``/``await``);
    SourceError when neither runtime runs it."""
    try:
        check_features(code, V1)
        return V1
    except SourceError:
        check_features(code, V2)
        return V2


COMPOSED_SEPARATOR = "--"


def composed_prefix(name: str) -> str:
    """Every composition of the function ``name`` is named ``<prefix><other>``
    (:func:`composed_name`); the prefix fits CloudFront's 64 characters."""
    return name[:40] + COMPOSED_SEPARATOR


def composed_name(ours: str, foreign: str) -> str:
    """``<ours>--<foreign>``, cut to CloudFront's 64 characters with a hash that keeps
    different foreign names apart. Every composition of ``ours`` starts with
    :func:`composed_prefix`."""
    prefix = composed_prefix(ours)
    name = prefix + foreign
    if len(name) <= 64:
        return name
    return f"{prefix}{foreign[: 64 - len(prefix) - 9]}-{code_digest(foreign)[:8]}"


def composition_comment(foreign: ForeignFunction) -> str:
    """Names the foreign function (so ``disable`` can put it back) and the digest of the
    code composed (so ``status`` can tell when the foreign LIVE code changed)."""
    return f"{COMMENT_PREFIX}{foreign.name} sha256:{foreign.digest}"


def foreign_of(comment: str | None) -> tuple[str, str] | None:
    """(foreign name, digest) from a composed function's comment; None for another."""
    match = re.fullmatch(
        re.escape(COMMENT_PREFIX) + r"([A-Za-z0-9_-]{1,64}) sha256:([0-9a-f]{16})", comment or ""
    )
    return (match.group(1), match.group(2)) if match else None


def needs_2_0(rules: MaintenanceRules) -> bool:
    """Whether cffunc's side needs cloudfront-js-2.0 (origin switching, the store)."""
    return rules.origin is not None or rules.store


def composition_runtime(rules: MaintenanceRules, foreign: ForeignFunction) -> Runtime:
    return V2 if foreign.runtime == V2 or needs_2_0(rules) else V1


def _check_foreign(foreign: ForeignFunction, runtime: Runtime) -> Tree:
    """The foreign code's tree, once it is known to compose (CompositionError if not)."""
    where = f"foreign function {foreign.name} ({foreign.runtime})"
    try:
        check_features(foreign.code, foreign.runtime)
    except SourceError as error:
        raise CompositionError(
            f"{where}: its code does not run under its runtime: {error}"
        ) from None
    tree = check_syntax(foreign.code)
    if not any(
        node.type in ("function_declaration", "lexical_declaration", "variable_declaration")
        and "handler" in _declared_names(node)
        for node in tree.root_node.children
    ):
        raise CompositionError(f"{where}: no top-level handler to call")
    if runtime == foreign.runtime:
        return tree
    # 1.0 code under a 2.0 composition (cffunc needs 2.0 for origin switching or the store).
    for node in nodes(tree.root_node):
        if node.type == "property_identifier" and node.text is not None:
            name = node.text.decode()
            if name in _ONLY_IN_1_0:
                raise CompositionError(
                    f"{where}: uses {name} (at {position(node)}), which only cloudfront-js-1.0 "
                    "has, and the composition must run on cloudfront-js-2.0 (maintenance.origin "
                    'or toggle = "kvs" needs it); port the code to 2.0 (Buffer, TextEncoder) '
                    "or drop those settings"
                )
        if node.type == "call_expression" and node.text is not None:
            callee = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            if (
                callee is not None
                and callee.type == "member_expression"
                and callee.text is not None
                and callee.text.decode().endswith(".digest")
                and arguments is not None
                and arguments.named_child_count == 0
            ):
                raise CompositionError(
                    f"{where}: calls digest() without an encoding (at {position(node)}), which "
                    "returns a string in cloudfront-js-1.0 but a Buffer in 2.0, and the "
                    "composition must run on cloudfront-js-2.0; give digest('hex') or "
                    "digest('base64')"
                )
    return tree


def _declared_names(node: Node) -> list[str]:
    if node.type == "function_declaration":
        name = node.child_by_field_name("name")
        return [name.text.decode()] if name is not None and name.text is not None else []
    names = []
    for child in node.named_children:
        if child.type == "variable_declarator":
            name = child.child_by_field_name("name")
            if name is not None and name.text is not None:
                names.append(name.text.decode())
    return names


@dataclass(frozen=True)
class _Imports:
    names: list[tuple[str, str]]
    """(local name, module) of each import, in order"""
    body: str
    """The code without its import lines (each replaced by as many newlines)."""


def _split_imports(code: str, what: str) -> _Imports:
    try:
        found = default_imports(code)
    except SourceError as error:
        raise CompositionError(f"{what}: {error}") from None
    data = code.encode("utf-8")
    # Each import line becomes as many newlines, so line numbers stay right.
    edits = [(i.start, i.end, b"\n" * data[i.start : i.end].count(b"\n")) for i in found]
    body = spliced(data, edits).decode("utf-8")
    return _Imports([(item.name, item.module) for item in found], body)


def _refuse_reserved(foreign: ForeignFunction, tree: Tree) -> None:
    """Foreign code may not name what the composition declares (every such name starts
    with C$): it could otherwise reach cffunc's state or the composed handler."""
    for node in nodes(tree.root_node):
        if (
            node.type in ("identifier", "property_identifier", "shorthand_property_identifier")
            and node.text is not None
            and node.text.decode().startswith(RESERVED_PREFIX)
        ):
            raise CompositionError(
                f"foreign function {foreign.name}: names {node.text.decode()} (at "
                f"{position(node)}); names starting with {RESERVED_PREFIX} are the "
                "composition's own: rename it"
            )


def compose(
    rules: MaintenanceRules,
    foreign: ForeignFunction,
    ours_name: str,
    events: tuple[str, ...] = (VIEWER_REQUEST,),
) -> ComposedFunction:
    """The composed function (CompositionError when it cannot be made or does not fit);
    the foreign handler runs on ``events``, cffunc alone on the other.

    The layout: every import of either side, under a name of the composition's own
    (``import C$0 from 'cloudfront'``), so no two top-level bindings can collide; the
    foreign code as the body of ``function C$F``, its imports as local variables, not run
    until cffunc first lets a request through; cffunc's code, the lockdown and the glue
    in a closure (C$H) no name of the foreign code can reach; and ``handler``, which only
    calls C$H."""
    runtime = composition_runtime(rules, foreign)
    _refuse_reserved(foreign, _check_foreign(foreign, runtime))
    ours = render_code(replace(rules, runtime=runtime), composed=True).code
    our_imports = _split_imports(ours, "cffunc")
    their_imports = _split_imports(foreign.code, f"foreign function {foreign.name}")
    modules: list[str] = []
    for _, module in our_imports.names + their_imports.names:
        if module not in modules:
            modules.append(module)
    alias = {module: f"{RESERVED_PREFIX}{n}" for n, module in enumerate(modules)}

    def local(imports: _Imports) -> str:
        pairs = ",".join(f"{name}={alias[module]}" for name, module in imports.names)
        return f"var {pairs};" if pairs else ""

    code = (
        "".join(f"import {alias[m]} from '{m}';\n" for m in modules)
        + "function C$F(){"
        + local(their_imports)
        + "\n"
        + their_imports.body.strip("\n")
        + "\nreturn handler}\nvar C$H=(function(){"
        + local(our_imports)
        + "\n"
        + our_imports.body.strip("\n")
        + "\n"
        + glue(events, rules.mode == "rewrite", _roots(our_imports, rules))
        + "})();\nfunction handler(e){return C$H(e)}\n"
    )
    composed = ComposedFunction(
        name=composed_name(ours_name, foreign.name),
        runtime=runtime,
        code=code,
        comment=composition_comment(foreign),
        foreign=foreign,
        ours_bytes=len(ours.encode("utf-8")),
        foreign_bytes=len(foreign.code.encode("utf-8")),
        events=events,
    )
    if composed.total > SIZE_LIMIT:
        raise CompositionError(
            f"composed with {foreign.name}, the function would be {composed.total:,} bytes, over "
            f"CloudFront's {SIZE_LIMIT:,}-byte limit by {composed.total - SIZE_LIMIT:,} "
            f"(cffunc {composed.ours_bytes:,}, {foreign.name} {composed.foreign_bytes:,}, "
            f"composition {composed.glue_bytes:,}); shrink either side (a smaller page or "
            "allowlist, rewrite mode) or leave the behavior out of distributions.behaviors"
        )
    check_features(code, runtime)
    return composed


def foreign_from_file(path: Path, runtime: Runtime | None = None) -> ForeignFunction:
    """A foreign function from a file (``--with``): named after the file, its runtime
    given or detected from the code."""
    try:
        code = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CompositionError(f"{path}: cannot read the function: {error}") from None
    name = re.sub(r"[^A-Za-z0-9_-]", "-", path.stem)[:64] or "foreign"
    try:
        detected = runtime or detect_runtime(code)
    except SourceError as error:
        raise CompositionError(f"{path}: neither runtime runs this code: {error}") from None
    return ForeignFunction(name, detected, code)


def compose_rendered(
    config: Config,
    env: Mapping[str, str],
    foreign: ForeignFunction,
    events: tuple[str, ...] | None = None,
) -> ComposedFunction:
    """The config's function composed with ``foreign`` (on ``events``, else guessed)."""
    chosen = events or guess_events(foreign.code)
    return compose(compile_rules(config, env), foreign, config.function.name, chosen)


SMALLEST_FOREIGN = "function handler(e){}"


def room_for_foreign(rules: MaintenanceRules, ours_name: str = "cffunc") -> int:
    """The bytes a foreign function may have to be composed with this config's (``render
    --stats``): CloudFront's limit less cffunc's part and what the composition adds around
    both, for a function on both events (the most it adds) that imports nothing (an import
    costs a few bytes more, less for a module cffunc imports too). Negative: over the limit
    by that much already."""
    probe = ForeignFunction("probe", rules.runtime, SMALLEST_FOREIGN)
    try:
        composed = compose(rules, probe, ours_name, (VIEWER_REQUEST, VIEWER_RESPONSE))
    except CompositionError:
        ours = render_code(rules, composed=True).stats.total
        return SIZE_LIMIT - ours - len(glue((VIEWER_REQUEST, VIEWER_RESPONSE), True))
    return SIZE_LIMIT - composed.total + composed.foreign_bytes
