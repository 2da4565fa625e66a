"""The minifier: the deployed code does what the readable code does, with shorter names
only where nothing outside cffunc's code can see them."""

from __future__ import annotations

import re

import pytest
from py_mini_racer import MiniRacer

from cffunc.function.minify import (
    arrow_functions,
    join_statements,
    merge_returns,
    minify,
    shorten_names,
    shorten_tokens,
)
from cffunc.function.render import readable_source
from cffunc.function.source import SourceError
from tests.helpers import make_rules

SCOPES = """
var total = 1, seen = [];
function outer(count) {
  var inner = 10, k;
  function nested(value) {
    var total = value * 2;  // hides the global total: its own, in here only
    return total + inner;
  }
  for (var key in {a: 1, b: 2}) seen.push(key);
  try {
    throw new Error('x');
  } catch (inner) {
    k = inner.message;  // the catch parameter hides the local inner in here only
  }
  return [nested(count), inner, total, k, seen.length, typeof count === 'number', true, false];
}
function branches(n) {
  var out = [];
  var i;
  for (i = 0; i < n; i++) {
    out.push(i);
  }
  if (n > 2) {
    out.push('big');
  } else {
    out.push('small');
  }
  if (n > 0) {
    for (i = 0; i < 2; i++) {
      if (i) out.push('odd');
    }
  } else out.push('none');
  while (out.length < 9) {
    out.push(0);
  }
  return out;
}
function handler(event) {
  var answer = {value: outer(event.n), label: 'label', more: [branches(event.n), branches(0)]};
  return [answer.value, answer.label, (function (x) { return x + total; })(5)];
}
"""


def run(code: str) -> object:
    context = MiniRacer()
    context.eval(code)
    return context.eval("JSON.stringify(handler({n: 3}))")


def test_minified_code_gives_the_same_answers() -> None:
    short = minify(SCOPES)
    assert run(short) == run(SCOPES)
    assert len(short) < len(SCOPES) * 0.6


def test_names_others_see_are_kept() -> None:
    code = (
        "import cf from 'cloudfront';\n"
        "var crypto = require('crypto'), count = 0;\n"
        "function handler(event) { var seen = Date.now(); count++; "
        "return {value: cf.kvs(), when: seen, n: count, h: crypto}; }\n"
    )
    short = shorten_names(code)
    for name in ("handler", "cf", "crypto", "Date", "require", "value", "when", "kvs"):
        assert re.search(rf"\b{name}\b", short), name
    for name in ("count", "seen", "event"):
        assert not re.search(rf"\b{name}\b", short), name
    assert "$" not in short


def test_short_names_never_take_a_global_the_code_reads() -> None:
    names = ", ".join(f"v{i}" for i in range(60))
    code = f"var {names};\nfunction handler(e) {{ return [a, b, Z, e]; }}\n"
    short = shorten_names(code)
    assert short.count("var ") == 1
    declared = re.search(r"var ([^;]*);", short)
    assert declared is not None
    assert not {"a", "b", "Z"} & set(declared.group(1).split(", "))


@pytest.mark.parametrize(
    "code",
    [
        "let x = 1; function handler(e) { return x; }",
        "var {a} = {a: 1}; function handler(e) { return a; }",
        "var f = (x) => x; function handler(e) { return f(1); }",
    ],
)
def test_syntax_it_does_not_model_is_refused(code: str) -> None:
    with pytest.raises(SourceError, match="cannot shorten names"):
        shorten_names(code)


def test_statements_join_where_the_grammar_lets_them() -> None:
    code = (
        "var a=1;var b=2;function handler(e){if(e){a=1}else{b=2}"
        "if(a){for(;;){if(b)break}}else{return a}while(b){b--}return[a,b]}"
    )
    assert join_statements(code) == (
        "var a=1,b=2;function handler(e){if(e)a=1;else b=2;"
        "if(a){for(;;){if(b)break}}else return a;while(b)b--;return[a,b]}"
    )
    assert run(join_statements(code)) == run(code)


def test_returns_merge_with_the_same_answers() -> None:
    code = (
        "var calls=[];function t(v){calls.push(v);return v}"
        "function pick(a,b){if(t(a))return 0;if(t(b)=='x')return 0;if(a?b:a)return 1;"
        "if(b)return a,b;return b=3}"
        "function handler(e){var out=[],a,b,vs=[0,1,'x',''];for(a=0;a<4;a++)for(b=0;b<4;b++)"
        "out.push(pick(vs[a],vs[b]));return [out,calls]}"
    )
    merged = merge_returns(code)
    assert "if(" not in merged.split("function pick")[1].split("function handler")[0]
    assert "t(a)||t(b)=='x'" in merged and "(a?b:a)?1" in merged and "?(a,b):" in merged
    assert run(merged) == run(code)


def test_tokens_keep_their_meaning() -> None:
    code = (
        "function handler(e){if(typeof e==='object')return true;"
        "if(e===1)return false;return typeof e!=='string'}"
    )
    short = shorten_tokens(code)
    assert short == (
        "function handler(e){if(typeof e=='object')return!0;"
        "if(e===1)return!1;return typeof e!='string'}"
    )
    assert run(short) == run(code)


def test_declarations_become_arrow_functions_where_nothing_changes() -> None:
    code = (
        "var seen=[];function one(a){return{v:a}}function two(a,b){return a,b}"
        "function none(){seen.push(1);return seen.length}function self(){return this}"
        "function args(){return arguments.length}async function later(a){return a}"
        "function handler(e){return[one(e.n),two(1,e.n),none(),none(),typeof self(),args(1,2)]}"
    )
    arrows = arrow_functions(code)
    assert arrows == (
        "var seen=[];var one=a=>({v:a});var two=(a,b)=>(a,b);"
        "var none=()=>{seen.push(1);return seen.length};function self(){return this}"
        "function args(){return arguments.length}async function later(a){return a}"
        "function handler(e){return[one(e.n),two(1,e.n),none(),none(),typeof self(),args(1,2)]}"
    )
    assert run(arrows) == run(code)
    assert run(minify(code)) == run(code)
    assert minify(code).count("var ") == 1  # the declarations joined into one var


def test_a_function_stays_a_declaration_where_an_arrow_would_change_it() -> None:
    code = (
        "var early=twice(2);function twice(a){return a*2}function Made(a){this.a=a}"
        "function Plain(){return{v:1}}function pick(k){return{a:1,b:2}[k]}"
        "function handler(e){return[early,new Made(1).a,new Plain().v,pick('b')]}"
    )
    arrows = arrow_functions(code)
    assert "function twice(" in arrows and "function Made(" in arrows  # read early; this
    assert "function Plain(" in arrows  # called with new
    assert "var pick=k=>({a:1,b:2}[k]);" in arrows
    assert run(arrows) == run(code) == run(minify(code))


def test_a_return_and_a_line_break_lose_the_bytes_they_do_not_need() -> None:
    code = "function handler(e){if(e.n)a=1;\nreturn !e.n}\nvar a;"
    assert shorten_tokens(code) == "function handler(e){if(e.n)a=1;return!e.n}var a;"
    assert shorten_tokens("function handler(e){return e}") == "function handler(e){return e}"
    assert run(shorten_tokens(code)) == run(code)


def test_the_readable_form_keeps_the_templates_names() -> None:
    readable = readable_source(make_rules({"allow": {"ips": ["192.0.2.0/24"]}}))
    assert "function decide(r, ip, now)" in readable
    assert "function decide(" not in minify(readable)
