"""The two kinds of failure a user can meet: bad input (exit 2) and a refusal by the rules (exit 1)."""


class OnevisitError(Exception):
    """Base of every error meant for the person at the keyboard, never a traceback."""

    exit_code = 1


class BadInput(OnevisitError):
    """What was typed or uploaded is malformed: unknown code, invalid identifier, missing option."""

    exit_code = 2


class Refused(OnevisitError):
    """The input is well formed, but the rules forbid it now: wrong state, not allowed, not found."""

    exit_code = 1


class NotFound(Refused):
    """A case, task or record that the command names does not exist."""


class Forbidden(Refused):
    """The operator or token is not allowed to do this (HTTP 403); other refusals are conflicts (409)."""
