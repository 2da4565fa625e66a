"""``python -m cffunc``: the same as the ``cffunc`` command."""

from cffunc.cli.commands import main

main()
