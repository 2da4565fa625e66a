"""Stage 4, deploy: read the account (``reads``), plan the change as pure data (``plan``),
and carry it out (``apply``, the only caller of a write of the AWS facade ``awsclient``).
The toggles pick how maintenance is switched; ``functions`` publishes and destroys."""
