"""``python -m cffunc``: the same as the ``cffunc`` command."""

from cffunc.cli import main

main()
