"""The Terraform reader behind ``export terraform --check``: what ``terraform fmt``
changes keeps a file's meaning; any other change of a name or a value changes it."""

from __future__ import annotations

import re
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cffunc import export
from cffunc.config.load import load_config
from cffunc.export.hcl import HclError, meaning, read
from cffunc.function.render import render
from cffunc.function.rules import compile_rules
from tests.helpers import ENV, SAMPLES


@cache
def exported() -> str:
    config = load_config(SAMPLES / "kvs.toml")
    return export.terraform(config, render(compile_rules(config, ENV))).files["cffunc.tf"]


def same(a: str, b: str) -> bool:
    return meaning(read(a)) == meaning(read(b))


# What terraform 1.11 `fmt` made of the first (checked by hand with the CLI; the
# integration tests run it on the export itself).
BEFORE_FMT = """resource a b {
  x = "${var.y}"
  z = file( "${ path.module }/x.js" )
  l = [ a.b ,c.d ]
  long_name = 1
}
"""
AFTER_FMT = """resource "a" "b" {
  x         = var.y
  z         = file("${path.module}/x.js")
  l         = [a.b, c.d]
  long_name = 1
}
"""


def test_what_terraform_fmt_rewrites_keeps_the_meaning() -> None:
    assert same(BEFORE_FMT, AFTER_FMT)
    assert same(exported(), exported().replace("\n", "\r\n"))  # a Windows checkout
    assert same(exported(), "\ufeff" + exported())


def test_blocks_may_come_in_any_order_but_not_twice() -> None:
    one, two = 'output "a" {\n  value = 1\n}\n', 'output "b" {\n  value = 2\n}\n'
    assert same(one + two, two + one)
    assert not same(one + two, one + two + two)
    assert not same('output "a" {\n  value = 1\n  value = 1\n}\n', one)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ('x = "a"\n', 'x = "b"\n'),
        ('x = "${a}b"\n', 'x = "${a} b"\n'),  # spaces in a string are its value
        ('x = "\\u00e9"\n', 'x = "\u00e9"\n'),  # written another way: counted as a change
        ("x = [a, b]\n", "x = [b, a]\n"),
        ("x = a-b\n", "x = a - b\n"),  # an identifier, then a subtraction
        ("x = <<EOT\na\nEOT\n", "x = <<EOT\n a\nEOT\n"),
        ('x = "${a}"\n', 'x = "${a}${b}"\n'),
    ],
)
def test_anything_else_is_a_change(a: str, b: str) -> None:
    assert not same(a, b)


def test_comments_heredocs_and_strings_hide_what_looks_like_syntax() -> None:
    text = (
        "# resource {\n"
        "/* } { */\n"
        'locals { // "\n'
        "  a = <<-EOT\n"
        '    } resource "x" "y" {\n'
        "    EOT\n"
        '  b = "}${jsonencode({ c = "{" })}"\n'
        "}\n"
    )
    body = read(text)
    assert [b.type for b in body.blocks] == ["locals"]
    assert [name for name, _ in body.blocks[0].body.attributes] == ["a", "b"]


@pytest.mark.parametrize(
    "text",
    ['x = "open\n', "x = {\n", "resource a {\n", "x = <<EOT\nno end\n", "x =\n", "= 1\n",
     'x = "${a"\n', "/* open\n", "x = a)\n", 'x = "${"' * 5000 + "\n", "a {\n" * 5000],
)  # fmt: skip
def test_what_is_not_terraform_is_an_error(text: str) -> None:
    with pytest.raises(HclError):
        read(text)


def _code_lines() -> list[int]:
    return [i for i, line in enumerate(exported().split("\n")) if not line.startswith("#")]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.data())
def test_any_whitespace_between_tokens_keeps_the_meaning(data: st.DataObject) -> None:
    lines = exported().split("\n")
    for i in _code_lines():
        # Outside the quoted strings, every run of spaces becomes other blanks.
        parts = re.split(r'("(?:[^"\\]|\\.)*")', lines[i])
        for j in range(0, len(parts), 2):
            parts[j] = re.sub(
                r" +", lambda _: data.draw(st.sampled_from([" ", "  ", "\t", " \t  "])), parts[j]
            )
        indent = data.draw(st.sampled_from(["", " ", "\t", "      "]))
        lines[i] = indent + "".join(parts).lstrip(" ")
    assert same("\n".join(lines), exported())


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.data())
def test_any_changed_letter_of_a_name_or_value_changes_the_meaning(data: st.DataObject) -> None:
    text = exported()
    lines = text.split("\n")
    starts = [sum(len(x) + 1 for x in lines[:i]) for i in range(len(lines))]
    letters = [starts[i] + k for i in _code_lines() for k, c in enumerate(lines[i]) if c.isalnum()]
    at = data.draw(st.sampled_from(letters))
    other = data.draw(st.sampled_from([c for c in "aZ09_x" if c != text[at]]))
    changed = text[:at] + other + text[at + 1 :]
    try:
        said = meaning(read(changed))
    except HclError:
        return  # not Terraform any more: the check calls that stale too
    assert said != meaning(read(text))
