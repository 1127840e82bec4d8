"""The ``miyun-gis`` command line: one group, one module per group of subcommands."""
