"""The one error reporter: library errors become one ``Error: ...`` line and exit code 1;
a run stopped after a write says what it did, the state it left and what to run next;
a signal exits with 130 (SIGINT) or 143 (SIGTERM)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from cffunc.cli import output
from cffunc.cli.output import echo_err
from cffunc.deploy import interrupts
from cffunc.deploy.apply import Incomplete
from cffunc.deploy.toggles import MaintenanceToggle
from cffunc.errors import CffuncError
from cffunc.terminal import shown

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Turn library errors into click's one-line ``Error:`` and exit code 1; a run
    stopped after a write says what it did, the state it left and the command that
    undoes it; a signal exits with 130 (SIGINT) or 143 (SIGTERM)."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with interrupts.handled():
                return command(*args, **kwargs)
        except Stopped as stopped:
            for line in stopped.done:
                click.echo(f"done: {shown(line)}")
            for line in stopped.lines:
                echo_err(line)
            sys.exit(stopped.exit_code)
        except interrupts.Interrupted as interrupt:
            echo_err(f"interrupted ({interrupt}) before any write: nothing was changed")
            sys.exit(interrupt.exit_code)
        except CffuncError as error:
            raise click.ClickException(shown(error, keep="\n")) from None

    return wrapper  # type: ignore[return-value]


class Stopped(Exception):
    """A write command stopped after its first write, with what to tell the user."""

    def __init__(self, done: list[str], lines: list[str], exit_code: int) -> None:
        super().__init__("\n".join(lines))
        self.done, self.lines, self.exit_code = done, lines, exit_code


def stopped(toggle: MaintenanceToggle, stop: Incomplete, undo: str, again: str) -> Stopped:
    """What a stopped run did, the state it left (read again), and what to run next."""
    code = stop.cause.exit_code if isinstance(stop.cause, interrupts.Interrupted) else 1
    lines = output.stopped_lines(stop, _state_now(toggle), undo, again)
    return Stopped(stop.report.done, lines, code)


def _state_now(toggle: MaintenanceToggle) -> dict[str, Any] | str:
    try:
        return toggle.status()
    except CffuncError as error:
        return str(error)
