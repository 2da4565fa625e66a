"""What else Terraform reads in the export's folder, and whether it changes the export.

Terraform loads every ``.tf`` and ``.tf.json`` file of a module's folder as one
configuration. A file beside ``cffunc.tf`` can therefore change what is applied while
``cffunc.tf`` itself still matches the render:

- an override file (``override.tf``, ``*_override.tf`` and their ``.tf.json`` forms) is
  merged into the blocks it names, replacing their arguments, the function's ``code``
  among them (developer.hashicorp.com/terraform/language/files/override);
- another file declaring the same resource, output, variable or local (Terraform refuses
  the folder, but the check must not call it matching);
- ``moved``, ``import`` and ``removed`` blocks naming the export's resources point them
  at other objects' state, or forget them (developer.hashicorp.com/terraform/language/
  moved, .../import, .../resources/syntax#removing-resources).

OpenTofu reads the same folders and also ``.tofu`` and ``.tofu.json`` files, and a
``.tofu`` file hides the ``.tf`` file of the same name (opentofu.org/docs/language/files/).
Terraform skips names that start with ``.``, end with ``~`` or are ``#...#`` (editor
files; internal/configs/parser_config_dir.go), and so does this check.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from cffunc.export.hcl import Declaration, HclError, declarations, json_declarations, read

SUFFIXES = (".tf.json", ".tofu.json", ".tf", ".tofu")


def ignored(name: str) -> bool:
    """Editor and hidden files, which Terraform does not read."""
    return name.startswith(".") or name.endswith("~") or (name[0] == "#" and name[-1] == "#")


def _stem(name: str) -> str | None:
    """The name without its configuration suffix; None for any other file."""
    suffix = next((s for s in SUFFIXES if name.endswith(s)), None)
    return None if suffix is None else name[: -len(suffix)]


def override(name: str) -> bool:
    stem = _stem(name)
    return stem is not None and (stem == "override" or stem.endswith("_override"))


def trespass(folder: Path, own: str, declared: Iterable[str]) -> str | None:
    """The first file of ``folder`` (besides ``own``) that changes what the export's
    blocks mean to Terraform, as a one-line reason; None when there is none."""
    addresses = frozenset(declared)
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        name = path.name
        stem = _stem(name)
        if name == own or stem is None or ignored(name) or not path.is_file():
            continue
        if name == f"{_stem(own)}.tofu":
            return f"{path} hides {own} from OpenTofu (a .tofu file wins over its .tf file)"
        try:
            found = list(_declared_in(path))
        except (OSError, ValueError, RecursionError) as error:  # ValueError: HclError, JSON
            return f"{path} cannot be read ({error}): nothing tells what it changes in the export"
        for item in found:
            address = _ours(item.address, addresses)
            if address is None:
                continue
            if item.verb != "declares":
                article = "an" if item.verb == "import" else "a"
                return (
                    f"{path} has {article} {item.verb} block for {address}, one of the "
                    "export's resources: remove it once it is applied"
                )
            if override(name):
                return (
                    f"{path} overrides {address} of the export (Terraform merges it in): "
                    "remove it and change the config instead"
                )
            return f"{path} declares {address} again (the export declares it): remove it there"
    return None


def _declared_in(path: Path) -> Iterator[Declaration]:
    text = path.read_text(encoding="utf-8")
    if path.name.endswith(".json"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise HclError(f"not JSON: {error}") from None
        yield from json_declarations(document)
    else:
        yield from declarations(read(text))


def _ours(address: str, addresses: frozenset[str]) -> str | None:
    """Which of the export's addresses ``address`` names (``aws_x.y[0]`` names ``aws_x.y``)."""
    base = address.split("[", 1)[0]
    return base if base in addresses else None
