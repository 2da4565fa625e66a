"""Run the terminal sessions of the documentation and compare them with what they show.

A ``console`` block in ``docs/`` (or the README) is a session a reader can type; the
comment line right before it says whether it is run::

    <!-- session: dir=samples emulator=distribution.json env=CFFUNC_BYPASS_SECRET=... -->
    ```console
    $ cffunc plan
    create function shop-maintenance (5,002 bytes, cloudfront-js-2.0)
    ```

or why it is not (``<!-- not run: waits for a real deployment -->``). A run session's
commands go to one bash, in a copy of ``samples/`` (so a command that writes files leaves
the checkout alone), with standard error merged into standard output as a CI log shows
them. ``dir=`` is the working directory within the copy's root, ``emulator=SEED`` starts
the local CloudFront API with that seed file (its deployments finish at once) and points
cffunc at it, ``env=NAME=VALUE`` sets a variable. In the shown output a line ``...`` stands
for any number of lines and ``...`` inside a line for any text (doctest's ellipsis).

tests/test_docs.py runs every session; ``python scripts/doc_sessions.py --update`` writes
the output of the sessions that no longer match back into the pages (check the diff).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

_BLOCK = re.compile(
    r"^(?:<!-- (?P<kind>session|not run):(?P<args>[^\n]*?) -->\n)?"
    r"```console\n(?P<body>.*?)^```\n",
    re.M | re.S,
)
_MARK = "\x1ecffunc-doc-session"


@dataclass(frozen=True)
class Session:
    """One console block: where it is, how to run it, the commands and what they print."""

    page: Path
    line: int
    marked: str | None
    """"session", "not run", or None for a block with no comment before it."""
    args: str
    commands: tuple[str, ...]
    shown: tuple[str, ...]
    """Per command, the output the page shows (lines joined, each ending in a newline)."""

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    def options(self) -> tuple[str, str | None, dict[str, str]]:
        """dir, emulator seed and environment from the marker."""
        workdir, seed, env = ".", None, {}
        for token in self.args.split():
            key, _, value = token.partition("=")
            if key == "dir":
                workdir = value
            elif key == "emulator":
                seed = value
            elif key == "env":
                name, _, text = value.partition("=")
                env[name] = text
            else:
                raise ValueError(f"{self.name}: unknown session option {token!r}")
        return workdir, seed, env


def pages(docs: Path = DOCS) -> list[Path]:
    """The README and every page of the site."""
    return [ROOT / "README.md", *sorted(docs.rglob("*.md"))]


def console_blocks(docs: Path = DOCS) -> list[Session]:
    """Every console block of the pages, in page order."""
    found = []
    for page in pages(docs):
        text = page.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            commands, shown = _split(match.group("body"))
            found.append(
                Session(
                    page,
                    text.count("\n", 0, match.start("body")),
                    match.group("kind"),
                    (match.group("args") or "").strip(),
                    tuple(commands),
                    tuple(shown),
                )
            )
    return found


def sessions(docs: Path = DOCS) -> list[Session]:
    """The blocks marked to be run."""
    return [s for s in console_blocks(docs) if s.marked == "session"]


def _split(body: str) -> tuple[list[str], list[str]]:
    commands: list[str] = []
    shown: list[str] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            commands.append(line[2:])
            shown.append("")
        elif commands:
            shown[-1] += line + "\n"
    return commands, shown


def matches(shown: str, got: str) -> bool:
    """Does ``got`` fit ``shown``, where a line ``...`` is any lines and ``...`` in a line
    any text? Trailing spaces do not count."""
    pattern = ""
    for line in shown.splitlines():
        if line.strip() == "...":
            pattern += r"(?:[^\n]*\n)*?"
        else:
            pattern += re.escape(line.rstrip()).replace(r"\.\.\.", r"[^\n]*") + r"\n"
    return re.fullmatch(pattern, _tidy(got)) is not None


def _tidy(output: str) -> str:
    lines = [line.rstrip() for line in output.splitlines()]
    return "".join(line + "\n" for line in lines)


@contextlib.contextmanager
def _local_api(seed: Path | None) -> Iterator[dict[str, str]]:
    if seed is None:
        yield {}
        return
    from cffunc.emulator.server import local_cloudfront, read_seeds

    with local_cloudfront(read_seeds(seed), deploy_seconds=0) as running:
        yield {
            "AWS_ENDPOINT_URL": running.endpoint, "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }  # fmt: skip


def run(session: Session) -> list[str]:
    """Run the session's commands in one bash; the output of each, as a page shows it."""
    workdir, seed, extra = session.options()
    with tempfile.TemporaryDirectory(prefix="cffunc-doc-") as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "samples", root / "samples")
        cwd = root / workdir
        cwd.mkdir(parents=True, exist_ok=True)
        with _local_api(cwd / seed if seed else None) as aws:
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("AWS_", "CFFUNC_")) and k != "COLUMNS"
            }
            # The cffunc beside this Python, whatever PATH says.
            env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
            env |= aws | extra
            # The marker between commands keeps the exit status, for a shown `echo $?`.
            script = "exec 2>&1\n" + "".join(
                f"s=$?; printf '\\n{_MARK} %d\\n' {i}; (exit $s)\n{command}\n"
                for i, command in enumerate(session.commands)
            )
            completed = subprocess.run(
                ["bash", "-c", script],
                cwd=cwd,
                env=env,
                capture_output=True,
                stdin=subprocess.DEVNULL,
                check=False,
            )
    text = completed.stdout.decode("utf-8", "replace")
    parts = re.split(rf"\n{_MARK} \d+\n", "\n" + text)[1:]
    if len(parts) != len(session.commands):
        raise RuntimeError(f"{session.name}: the shell stopped early:\n{text}")
    return [_tidy(part) for part in parts]


def mismatches(session: Session) -> list[tuple[str, str, str]]:
    """(command, shown, got) for each command whose output differs from the page."""
    got = run(session)
    return [
        (command, shown, output)
        for command, shown, output in zip(session.commands, session.shown, got, strict=True)
        if not matches(shown, output)
    ]


def update(session: Session) -> bool:
    """Write the session's real output into its page when it no longer matches."""
    got = run(session)
    if all(matches(s, g) for s, g in zip(session.shown, got, strict=True)):
        return False
    text = session.page.read_text(encoding="utf-8")
    old = "".join(f"$ {c}\n{s}" for c, s in zip(session.commands, session.shown, strict=True))
    new = "".join(
        f"$ {c}\n{g if not matches(s, g) else s}"
        for c, s, g in zip(session.commands, session.shown, got, strict=True)
    )
    start = sum(len(line) + 1 for line in text.split("\n")[: session.line])
    if text[start : start + len(old)] != old:
        raise RuntimeError(f"{session.name}: the block moved while running")
    session.page.write_text(text[:start] + new + text[start + len(old) :], encoding="utf-8")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="Write real output into pages.")
    args = parser.parse_args()
    failed = 0
    # Last first, so that rewriting one block leaves the line numbers of earlier ones.
    for session in reversed(sessions()):
        if args.update:
            if update(session):
                print(f"updated {session.name}")
            continue
        for command, shown, got in mismatches(session):
            failed += 1
            print(f"{session.name}: $ {command}\n--- shown\n{shown}--- got\n{got}")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
