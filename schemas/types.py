"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum, IntEnum
from typing import Annotated

from pydantic import AfterValidator

from sqlalchemy import DateTime, Integer, TypeDecorator
from sqlmodel import AutoString


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC so SQLite keeps them exact."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


class RuleEnum(TypeDecorator):
    """A rule's enum (approvals: CaseStatus, Light, Role...) stored as its value in a plain VARCHAR, so the
    schema stays as it is (no database enum type, no migration): the member on load; a member or its value
    on bind, anything else refused. `IntRuleEnum` is the same over an INTEGER (ratings' Level)."""

    impl = AutoString
    cache_ok = True

    def __init__(self, enum: type[Enum], *args, **kwargs):
        super().__init__(*args, **kwargs)  # the stored type's own arguments (a length)
        self.enum = enum
        # Lookups by value: a member hashes and compares as its value, so a member finds itself too.
        self._members = {member.value: member for member in enum}

    @property
    def python_type(self) -> type[Enum]:
        return self.enum

    def member(self, value) -> Enum:
        """The member for a member or its value; ValueError naming the enum and its values for anything else."""
        try:
            return self._members[value]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not a {self.enum.__name__} "
                             f"(one of: {', '.join(str(v) for v in self._members)})") from None

    def process_bind_param(self, value, dialect):
        # The plain value goes to the driver, whatever it makes of an enum.
        return None if value is None else self.member(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.member(value)


class IntRuleEnum(RuleEnum):
    impl = Integer
    cache_ok = True

    def __init__(self, enum: type[IntEnum]):
        super().__init__(enum)


def _name(value: str) -> str:
    from approvals.text import text_problem

    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    if not value.strip():
        raise ValueError("is blank")
    return value.strip()


def _line(value: str) -> str:
    from approvals.text import text_problem

    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# Input fields (approvals.text): a name is one printable line, not blank; a line is printable.
Name = Annotated[str, AfterValidator(_name)]
Line = Annotated[str, AfterValidator(_line)]
