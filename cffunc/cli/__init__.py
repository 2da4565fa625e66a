"""The ``cffunc`` command: thin click commands over the library, and what they print."""
