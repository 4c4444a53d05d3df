"""The `onevisit` sub-commands, one module per noun; `cli.py` assembles them into one command."""
