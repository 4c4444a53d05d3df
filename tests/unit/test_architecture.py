"""The layers hold (import-linter's contracts in pyproject.toml), and no module imports another in a circle.

cli.py → commands → web → flows → services → schemas → approvals; approvals imports no framework; services and
schemas know no entry point and no orchestrator; the agencies' simulator stands apart. Imports inside functions
count like any other: a function-level import cannot dodge a contract.
"""

from __future__ import annotations

import graphlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("commands", "web", "flows", "services", "schemas", "approvals", "simulator")


def _lint(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"],
        cwd=where, env={**os.environ, "PYTHONPATH": str(where)}, capture_output=True, text=True, timeout=300)


def test_the_layer_contracts_are_kept():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_a_forbidden_import_breaks_a_contract(tmp_path):
    """The same check on a copy of the code in which the rules core imports the database layer."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "templates", "static", "locale", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    errors = tmp_path / "approvals" / "errors.py"
    errors.write_text(errors.read_text("utf-8") + "\nfrom services import db  # noqa: E402,F401\n", "utf-8")

    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "Entry points over flows over use cases over models over rules BROKEN" in result.stdout
    assert "approvals.errors -> services.db" in result.stdout


def test_no_module_imports_another_in_a_circle():
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    try:
        list(graphlib.TopologicalSorter(imports).static_order())
    except graphlib.CycleError as cycle:
        raise AssertionError(f"import circle: {' -> '.join(cycle.args[1])}") from None
