"""``cffunc init``: a starter cffunc.toml, its scenarios and a release script.

The files ship inside the package (an installed cffunc has no ``samples/`` folder), and
the config they make passes ``cffunc test`` as written, so a new user starts from
something that works and that they can read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cffunc.errors import CffuncError

FILES = ("cffunc.toml", "scenarios.toml", "release.sh", "migrate.sh")
EXECUTABLE = ("release.sh", "migrate.sh")
PLACEHOLDER_DISTRIBUTION = "E2EXAMPLE12345"


@dataclass(frozen=True)
class Written:
    path: Path
    created: bool
    """False: it existed and was left as it was."""


def write_starter(
    directory: Path, name: str, distribution: str | None, force: bool = False
) -> list[Written]:
    """The starter files in ``directory``; an existing file is kept unless ``force``."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise CffuncError(f"--name {name!r}: give 1-64 characters of A-Z, a-z, 0-9, _ and -")
    if distribution is not None and not re.fullmatch(r"[A-Z0-9]{1,32}", distribution):
        raise CffuncError(
            f"--distribution {distribution!r}: give a distribution id such as E2EXAMPLE12345"
        )
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for file in FILES:
        target = directory / file
        if target.exists() and not force:
            out.append(Written(target, False))
            continue
        text = resources.files(__name__).joinpath(file).read_text(encoding="utf-8")
        if file == "cffunc.toml":
            text = text.replace("{name}", name).replace(
                "{distribution}", distribution or PLACEHOLDER_DISTRIBUTION
            )
        target.write_text(text, encoding="utf-8")
        if file in EXECUTABLE:
            os.chmod(target, 0o755)
        out.append(Written(target, True))
    return out
