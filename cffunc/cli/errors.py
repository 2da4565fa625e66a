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
from cffunc.errors import CffuncError, UsageError
from cffunc.terminal import shown

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Turn library errors into click's one-line ``Error:`` and exit code 1. A command
    stopped after a write prints the executor's record of what it did (stdout), then the
    cause, what was put back, the state it left and the commands to run next (stderr); a
    signal exits with 130 (SIGINT) or 143 (SIGTERM)."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with interrupts.handled():
                result = command(*args, **kwargs)
            output.steps().close()
            return result
        except Incomplete as stop:
            seen = output.steps()
            seen.close()
            for line in output.done_lines(stop.report, seen):
                click.echo(line)
            for line in output.stopped_lines(stop):
                echo_err(line)
            cause = stop.cause
            sys.exit(cause.exit_code if isinstance(cause, interrupts.Interrupted) else 1)
        except interrupts.Interrupted as interrupt:
            # Every write goes through the executor, which turns an interrupt after one
            # into Incomplete: here, nothing was written.
            output.steps().close()
            echo_err(f"interrupted ({interrupt}) before any write: nothing was changed")
            sys.exit(interrupt.exit_code)
        except UsageError as error:  # options that cannot go together: exit 2
            output.steps().close()
            raise click.UsageError(shown(error)) from None
        except CffuncError as error:
            output.steps().close()
            raise click.ClickException(shown(error, keep="\n")) from None

    return wrapper  # type: ignore[return-value]
