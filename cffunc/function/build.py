"""What ``cffunc render`` produces: the config's function alone, or composed with a function
already on the slot (``--with``). One call for both, so a caller has nothing to choose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cffunc.config.load import Config, Runtime
from cffunc.errors import UsageError
from cffunc.function.compose import (
    ComposedFunction,
    ForeignFunction,
    compose_rendered,
    room_for_foreign,
)
from cffunc.function.compose import foreign_from_file as _foreign_from_file
from cffunc.function.render import RenderedFunction, render
from cffunc.function.rules import compile_rules


@dataclass(frozen=True)
class WithFunction:
    """``--with FILE [--with-runtime R] [--with-event E...]``: a function to compose with,
    as cffunc does with one already on a slot."""

    path: Path
    runtime: Runtime | None = None
    events: tuple[str, ...] = ()
    """The events it is associated with; none: guessed from its code."""

    @classmethod
    def from_options(
        cls, path: Path | None, runtime: str | None, events: tuple[str, ...]
    ) -> WithFunction | None:
        if path is None:
            if runtime is not None or events:
                raise UsageError("--with-runtime and --with-event go with --with FILE")
            return None
        return cls(path, runtime, tuple(dict.fromkeys(events)))  # type: ignore[arg-type]

    def load(self) -> ForeignFunction:
        """The function, read from its file now (``serve`` reads it again on a change)."""
        return _foreign_from_file(self.path, self.runtime)

    @property
    def slot_events(self) -> tuple[str, ...] | None:
        return self.events or None


@dataclass(frozen=True)
class Built:
    """The code ``render`` writes, with what its size is made of."""

    code: str
    rendered: RenderedFunction | None = None
    """The function alone (its parts' sizes in ``stats``)."""
    composed: ComposedFunction | None = None
    """The composition, with ``--with``."""
    room: int | None = None
    """The function alone: the bytes left for a function composed with it."""

    @property
    def total(self) -> int:
        return len(self.code.encode("utf-8"))


def build(
    config: Config, env: Mapping[str, str], with_function: WithFunction | None = None
) -> Built:
    """The config's function, or its composition with ``with_function``."""
    if with_function is None:
        rules = compile_rules(config, env)
        rendered = render(rules)
        return Built(rendered.code, rendered=rendered, room=room_for_foreign(rules))
    composed = compose_rendered(config, env, with_function.load(), with_function.slot_events)
    return Built(composed.code, composed=composed)
