"""The `rbts` command line: one module per command group."""
