"""Refresh the README's command reference from --help (tests/test_readme.py checks it).

python scripts/update_readme_help.py
"""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from cffunc.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"
COMMANDS: list[list[str]] = [
    [], ["render"], ["test"], ["replay"], ["serve"], ["publish"], ["plan"], ["enable"], ["disable"],
    ["status"], ["destroy"], ["iam-policy"], ["init"], ["install"], ["uninstall"], ["allow"],
    ["allow", "add"], ["allow", "remove"], ["allow", "list"], ["export"],
    ["export", "cloudformation"], ["export", "terraform"],
]  # fmt: skip


def main() -> None:
    text = README.read_text(encoding="utf-8")
    for args in COMMANDS:
        output = CliRunner().invoke(cli, [*args, "--help"], prog_name="cffunc").output
        command = " ".join(["cffunc", *args, "--help"])
        block = re.compile(re.escape(f"$ {command}\n") + r".*?```", re.S)
        if not block.search(text):
            raise SystemExit(f"README.md has no block starting with `$ {command}`")
        replacement = f"$ {command}\n{output}```"
        text = block.sub(lambda _, new=replacement: new, text, count=1)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
