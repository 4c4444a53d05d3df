"""Every foreign key of every table the write side knows resolves in a fresh process that imported only a use
case's module (as `onevisit web` or a single CLI command does): a flush sorts the tables by their foreign keys and
fails on one it cannot find. `onevisit decide` crashed so once the sweep had opened a ledger item
(ledger_item -> rectification)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["services.cases", "services.sweep"])
def test_the_tables_a_use_case_knows_resolve_their_foreign_keys(module):
    code = (f"import {module}\n"
            "from sqlmodel import SQLModel\n"
            "for table in SQLModel.metadata.tables.values():\n"
            "    [fk.column for fk in table.foreign_keys]\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1]
