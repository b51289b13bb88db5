"""The ``sandbox`` command line: subcommands from :mod:`sims`, :mod:`theory` and :mod:`checks`."""
