"""How numbers and counts read in what people read: one place for every command.

``count(1, "network")`` is "1 network", ``count(1200, "line")`` "1,200 lines";
``number(3735.0)`` is "3,735" (a whole number reads as one, an average keeps its
decimal: "3,735.5"). JSON documents keep their numbers as they are.
"""

from __future__ import annotations


def count(n: float, noun: str, many: str | None = None) -> str:
    """``n`` things, the noun agreeing with the number."""
    return f"{number(n)} {plural(n, noun, many)}"


def plural(n: float, noun: str, many: str | None = None) -> str:
    """The noun as ``n`` of it reads: "network" for one, else "networks" (or ``many``)."""
    return noun if n == 1 else many or noun + "s"


def number(value: float, decimals: int = 1) -> str:
    """With thousands separators; a fraction only where there is one."""
    rounded = round(value, decimals)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.{decimals}f}"


def verb(n: float, singular: str, plural: str) -> str:
    """The verb for a subject of ``n`` things: verb(1, "agrees", "agree")."""
    return singular if n == 1 else plural
