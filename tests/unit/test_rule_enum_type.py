"""schemas.types.RuleEnum without a database: what a rule's enum column hands the driver and gives back."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from approvals.deadlines import Light
from approvals.ratings import Level
from approvals.review import CaseStatus
from schemas.types import IntRuleEnum, RuleEnum

DIALECTS = [sqlite.dialect(), postgresql.psycopg.dialect()]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_a_member_or_its_value_binds_as_the_plain_value_and_reads_back_as_the_member(dialect):
    column = RuleEnum(CaseStatus)
    for given in (CaseStatus.IN_REVIEW, "in_review"):
        bound = column.process_bind_param(given, dialect)
        assert bound == "in_review" and type(bound) is str
    assert column.process_result_value("in_review", dialect) is CaseStatus.IN_REVIEW
    assert column.process_bind_param(None, dialect) is None
    assert column.process_result_value(None, dialect) is None


@pytest.mark.parametrize("given", ["IN_REVIEW", "in review", "", 3, Light.RED])
def test_anything_but_a_member_or_its_value_is_refused_naming_the_enum_and_its_values(given):
    with pytest.raises(ValueError) as refused:
        RuleEnum(CaseStatus).process_bind_param(given, sqlite.dialect())
    assert "is not a CaseStatus (one of: correction_required, in_review," in str(refused.value)


def test_an_unknown_value_read_back_is_refused_too():
    with pytest.raises(ValueError, match="'amber' is not a Light"):
        RuleEnum(Light).process_result_value("amber", sqlite.dialect())


def test_the_stored_type_is_the_plain_one_so_the_schema_does_not_change():
    for dialect in DIALECTS:
        assert RuleEnum(CaseStatus).compile(dialect=dialect) == "VARCHAR"
        assert RuleEnum(CaseStatus, 16).compile(dialect=dialect) == "VARCHAR(16)"
        assert IntRuleEnum(Level).compile(dialect=dialect) == "INTEGER"


def test_a_level_binds_as_an_integer_and_reads_back_as_the_level():
    column = IntRuleEnum(Level)
    assert column.process_bind_param(4, sqlite.dialect()) == 4
    assert column.process_result_value(2, sqlite.dialect()) is Level.DISSATISFIED
    with pytest.raises(ValueError, match="is not a Level"):
        column.process_bind_param(6, sqlite.dialect())


def test_columns_of_different_enums_cache_apart():
    assert RuleEnum(CaseStatus)._static_cache_key != RuleEnum(Light)._static_cache_key
    assert RuleEnum(CaseStatus)._static_cache_key == RuleEnum(CaseStatus)._static_cache_key
