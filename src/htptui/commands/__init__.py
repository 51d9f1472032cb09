"""Subcommands of the htptui CLI, one module each (``command`` is the click command)."""
