"""`catalog import`: a county's implementation list (实施清单) from a workbook or CSV files, checked whole."""

from __future__ import annotations

import csv
import re

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from schemas.catalog import CatalogVersion
from services.db import UnitOfWork


def versions(url: str) -> int:
    with UnitOfWork(url, write=False) as uow:
        return uow.session.exec(select(func.count()).select_from(CatalogVersion)).one()


def builtin_workbook(run, tmp_path):
    path = tmp_path / "builtin.xlsx"
    assert run("catalog", "template", path, "--builtin").code == 0
    return path


def test_the_builtin_catalog_goes_through_a_workbook_unchanged(fresh_env, run, tmp_path):
    before = run("catalog", "list", "--json", "--operator", "admin").json()
    imported = run("catalog", "import", builtin_workbook(run, tmp_path), "--operator", "admin")
    assert imported.code == 0, imported.err
    assert "82 matters, 27 bundles, 31 agencies" in imported.out
    after = run("catalog", "list", "--json", "--operator", "admin").json()
    assert after["version"] == before["version"] + 1
    assert after["bundles"] == before["bundles"]  # every bundle, matter, limit, fee, mode and material as it was
    assert sorted(after["agencies"], key=lambda a: a["code"]) == sorted(before["agencies"], key=lambda a: a["code"])


def _row_of(sheet, code: str, column: int = 1, nth: int = 1) -> int:
    found = [cell.row for cell in sheet.iter_rows(min_col=column, max_col=column) for cell in cell
             if cell.value == code]
    return found[nth - 1]


def _material_row(sheet, matter: str, material: str) -> int:
    return next(r[0].row for r in sheet.iter_rows(min_row=2) if r[0].value == matter and r[1].value == material)


def test_twenty_faults_are_reported_with_their_cells_and_nothing_is_written(fresh_env, run, tmp_path):
    path = builtin_workbook(run, tmp_path)
    book = load_workbook(path)
    matters, materials, bundles = book["事项"], book["材料"], book["一件事"]
    expected: list[str] = []

    def seed(sheet, cell: str, value) -> None:
        sheet[cell] = value
        expected.append(f"{sheet.title}!{cell} ")

    row = lambda code: _row_of(matters, code)  # noqa: E731
    seed(matters, f"F{row('FOOD_BUSINESS')}", 11)                       # promised 11 > statutory 10
    seed(matters, f"C{row('ROAD_EXCAVATION')}", "NOBODY")                # a second code for 城管局
    seed(matters, f"G{row('TOBACCO_RETAIL')}", "BIZ_LICENCE；GHOST")     # unknown prerequisite
    seed(matters, f"E{row('SEAL')}", "五天")                             # not a number of days
    seed(matters, f"H{row('TAX')}", "也许")                              # neither 是 nor 否
    seed(matters, f"I{row('SOCIAL_INSURANCE')}", "全部取消")             # not a 证照分离 mode
    seed(matters, f"J{row('BANK_ACCOUNT')}", "-5")                       # a negative fee
    seed(matters, f"B{row('HOUSING_FUND')}", None)                       # no name
    seed(matters, f"K{row('HOUSING_FUND')}", 0)                          # 容缺 limit of 0 days
    seed(matters, f"I{row('DRUG_RETAIL')}", "实行告知承诺")              # 告知承诺 mode, 告知承诺 not allowed
    seed(matters, f"D{row('CONSTRUCTION_PLANNING')}", "规划局")          # agency NRP named two ways
    seed(matters, f"G{row('ENV_ASSESSMENT')}", "PROJECT_FILING、ENV_ASSESSMENT")  # depends on itself
    last = matters.max_row + 1                                           # a matter listed twice
    for column in "ABCDEF":
        matters[f"{column}{last}"] = matters[f"{column}{row('SIGNBOARD')}"].value
    expected.append(f"事项!A{last} ")
    seed(materials, f"D{_material_row(materials, 'FOOD_BUSINESS', 'FLOOR_PLAN')}", "重要")  # neither 主要 nor 次要
    seed(materials, f"A{_material_row(materials, 'SEAL', 'SEAL_MANDATE')}", "GHOST")       # unknown matter
    seed(materials, f"C{_material_row(materials, 'FIRE_CHECK', 'LEASE')}", "租房合同")     # a shared material renamed
    seed(materials, f"E{_material_row(materials, 'TAX', 'INVOICE_SEAL_IMPRINT')}", "Bad Source")  # not a service
    seed(materials, f"B{_material_row(materials, 'SIGNBOARD', 'SIGN_DESIGN')}", "bad code!")  # not a code
    seed(bundles, f"D{_row_of(bundles, 'SIGNBOARD', column=4)}", "GHOST_PERMIT")  # unknown matter in a bundle
    seed(bundles, f"C{_row_of(bundles, 'HOTEL')}", 0)                    # a bundle's promise of 0 days
    matters["N1"] = "办理地点"  # an unknown column is kept and reported on success, never a fault
    book.save(path)
    assert len(expected) == 20

    before = versions(fresh_env.url)
    result = run("catalog", "import", path, "--operator", "admin")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert lines[-1].endswith("20 faults (listed above); nothing was loaded"), result.err
    faults = lines[:-1]
    assert len(faults) == 20, "\n".join(faults)
    for cell in expected:
        assert sum(line.startswith(cell) for line in faults) == 1, (cell, "\n".join(faults))
    assert versions(fresh_env.url) == before


def test_csv_files_with_numeric_codes_and_an_unknown_column(fresh_env, run, tmp_path):
    path = builtin_workbook(run, tmp_path)
    book = load_workbook(path, read_only=True)
    keep = {"BIZ_LICENCE": "11330100001", "FOOD_BUSINESS": "11330100002", "FIRE_CHECK": "11330100003"}
    files = {}
    for sheet, name, code_columns in (("事项", "matters.csv", (0, 6)), ("材料", "materials.csv", (0,)),
                                      ("一件事", "bundles.csv", (3,))):
        rows = [list(r) for r in book[sheet].iter_rows(values_only=True)]
        header, body = rows[0], rows[1:]
        if sheet == "一件事":
            body = [r for r in body if r[0] == "RESTAURANT" and r[3] in keep]
        else:
            body = [r for r in body if r[0] in keep]
        for r in body:
            for i in code_columns:
                r[i] = re.sub(r"[A-Z_]+", lambda m: keep.get(m.group(0), m.group(0)), r[i] or "")
        if sheet == "事项":
            header = [*header, "办理地点"]
            body = [[*r, "县政务服务中心一楼"] for r in body]
        files[sheet] = tmp_path / name
        with files[sheet].open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *body])
    result = run("catalog", "import", files["事项"], "--materials", files["材料"], "--bundles", files["一件事"],
                 "--operator", "admin")
    assert result.code == 0, result.err
    assert "3 matters, 1 bundles" in result.out and "办理地点" in result.out
    listed = run("catalog", "list", "--json", "--operator", "admin").json()
    (restaurant,) = listed["bundles"]
    by_code = {m["matter"]: m for m in restaurant["matters"]}
    assert set(by_code) == set(keep.values())
    assert by_code["11330100002"]["depends_on"] == ["11330100001"]
    assert by_code["11330100002"]["extra_columns"] == {"办理地点": "县政务服务中心一楼"}


@pytest.mark.parametrize("args, message", [
    (["list.txt"], "an .xlsx workbook or CSV files"),
    (["matters.csv"], "--materials MATERIALS.csv --bundles BUNDLES.csv"),
    (["missing.xlsx"], "cannot read"),
])
def test_a_file_that_is_not_a_list_is_bad_input(fresh_env, run, tmp_path, args, message):
    (tmp_path / "list.txt").write_text("事项编码\n", "utf-8")
    (tmp_path / "matters.csv").write_text("事项编码\n", "utf-8")
    result = run("catalog", "import", *[tmp_path / a for a in args], "--operator", "admin")
    assert result.code == 2 and message in result.err and "Traceback" not in result.err
