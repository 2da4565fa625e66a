"""Stage 1, the config: ``cffunc.toml`` read into checked, frozen values (and ``init``'s
starter files). Everything downstream takes a :class:`~cffunc.config.load.Config`."""
