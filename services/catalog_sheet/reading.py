"""Reading a workbook (or three CSV files) into a catalog document, every fault reported at its cell."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from approvals.catalog import Catalog, catalog_problems
from approvals.errors import BadInput
from services.catalog_sheet.columns import BUNDLES, MATERIALS, MATTERS, SHEETS, letter


@dataclass
class Cell:
    sheet: str
    row: int
    column: str  # the letter, as a spreadsheet shows it
    header: str

    def __str__(self) -> str:
        return f"{self.sheet}!{self.column}{self.row} ({self.header})"


@dataclass
class SheetReport:
    """What reading a workbook found: the catalog document, or every fault with its cell."""

    document: dict | None = None
    errors: list[str] = field(default_factory=list)
    extra_columns: dict[str, list[str]] = field(default_factory=dict)  # sheet -> headers kept, not used
    counts: dict[str, int] = field(default_factory=dict)


def read_workbook(path: Path, *, materials: Path | None = None, bundles: Path | None = None) -> SheetReport:
    """Read an .xlsx workbook, or three CSV files (the matters' file, `materials` and `bundles`)."""
    if path.suffix.lower() == ".csv":
        if materials is None or bundles is None:
            raise BadInput("a CSV implementation list comes in three files: "
                           "catalog import MATTERS.csv --materials MATERIALS.csv --bundles BUNDLES.csv")
        tables = {MATTERS: _csv_rows(path), MATERIALS: _csv_rows(materials), BUNDLES: _csv_rows(bundles)}
        names = {MATTERS: path.name, MATERIALS: materials.name, BUNDLES: bundles.name}
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        tables = _xlsx_rows(path)
        names = {sheet: sheet for sheet in SHEETS}
    else:
        raise BadInput(f"cannot import {path.name}: an implementation list is an .xlsx workbook or CSV files")
    return _Reader(names).read(tables)


def _csv_rows(path: Path) -> list[tuple]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [tuple(row) for row in csv.reader(handle)]
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror if isinstance(exc, OSError) else 'not UTF-8 text'}") from None


def _xlsx_rows(path: Path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, KeyError, ValueError) as exc:
        raise BadInput(f"cannot read {path}: {getattr(exc, 'strerror', None) or 'not an .xlsx workbook'}") from None
    try:
        missing = [sheet for sheet in SHEETS if sheet not in workbook.sheetnames]
        if missing:
            raise BadInput(f"{path.name}: no sheet named {', '.join(missing)} (sheets: {', '.join(workbook.sheetnames)})")
        return {sheet: list(workbook[sheet].iter_rows(values_only=True)) for sheet in SHEETS}
    finally:
        workbook.close()



class _Reader:
    """One pass over the three tables, then the catalog's own checks, each fault mapped back to its cell."""

    def __init__(self, names: dict[str, str]):
        self.names = names
        self.report = SheetReport()
        self.cells: dict[tuple, Cell] = {}  # (sheet, *key, field) -> the cell a value came from
        self.faulty: set[str] = set()  # cells already reported: the catalog's checks say nothing more of them
        self.matter_rows: dict[str, int] = {}  # matter code -> its row in 事项
        self.material_rows: dict[tuple[str, str], int] = {}  # (matter, material) -> its row in 材料
        self.bundle_rows: dict[tuple[str, ...], int] = {}  # (bundle,) -> its first row; (bundle, matter) -> its row

    def error(self, cell: Cell | str, message: str) -> None:
        self.report.errors.append(f"{cell}: {message}")
        self.faulty.add(str(cell))

    def read(self, tables: dict[str, list[tuple]]) -> SheetReport:
        rows = {sheet: list(self._rows(sheet, tables[sheet])) for sheet in SHEETS}
        agencies, matters = self._matters(rows[MATTERS])
        self._materials(rows[MATERIALS], matters)
        bundles = self._bundles(rows[BUNDLES])
        document = {"agencies": list(agencies.values()), "matters": list(matters.values()),
                    "bundles": list(bundles.values())}
        self.report.counts = {"agencies": len(agencies), "matters": len(matters), "bundles": len(bundles),
                              "materials": len({m["code"] for x in matters.values() for m in x["materials"]})}
        self._check(document)  # with the faulty cells' rows left out or stood in for: every fault in one pass
        if not self.report.errors:
            self.report.document = document
        return self.report

    def _rows(self, sheet: str, table: list[tuple]) -> Iterator[tuple[int, dict, dict]]:
        """(row number, {key: value}, {header: extra value}) per data row; header faults reported once."""
        name = self.names[sheet]
        if not table:
            self.error(f"{name}!1", "no header row")
            return
        headers = ["" if h is None else str(h).strip() for h in table[0]]
        columns = {c.header: c for c in SHEETS[sheet]} | {c.key: c for c in SHEETS[sheet]}
        where: dict[str, int] = {}
        extra: dict[str, int] = {}
        for index, header in enumerate(headers):
            if not header:
                continue
            column = columns.get(header)
            if column is None:
                extra[header] = index
            elif column.key in where:
                self.error(Cell(name, 1, letter(index), header), f"column repeated (first in {letter(where[column.key])})")
            else:
                where[column.key] = index
        for column in SHEETS[sheet]:
            if column.required and column.key not in where:
                self.error(f"{name}!1", f"no column {column.header}")
        if extra:
            self.report.extra_columns[name] = list(extra)
        if any(c.required and c.key not in where for c in SHEETS[sheet]):
            return
        for number, row in enumerate(table[1:], start=2):
            if all(v is None or str(v).strip() == "" for v in row):
                continue
            values: dict = {}
            for column in SHEETS[sheet]:
                index = where.get(column.key)
                if index is None:
                    continue
                raw = row[index] if index < len(row) else None
                cell = Cell(name, number, letter(index), column.header)
                self.cells[(sheet, number, column.key)] = cell
                if raw is None or str(raw).strip() == "":
                    if column.required:
                        self.error(cell, "is empty")
                    continue
                try:
                    values[column.key] = column.read(raw)
                except ValueError as exc:
                    self.error(cell, str(exc))
            kept = {h: row[i] for h, i in extra.items() if i < len(row) and row[i] is not None and str(row[i]).strip()}
            yield number, values, {h: str(v).strip() for h, v in kept.items()}

    def _cell(self, sheet: str, number: int, key: str) -> Cell:
        return self.cells.get((sheet, number, key)) or Cell(self.names[sheet], number, "?", key)

    def _first_row(self, seen: dict, key, sheet: str, number: int, column: str, repeated: str) -> bool:
        """Whether row `number` is the first with `key` (noted in `seen`); a later one is reported at its cell."""
        if key in seen:
            self.error(self._cell(sheet, number, column), f"{repeated} (first in row {seen[key]})")
            return False
        seen[key] = number
        return True

    def _matters(self, rows: list[tuple[int, dict, dict]]) -> tuple[dict, dict]:
        agencies: dict[str, dict] = {}
        matters: dict[str, dict] = {}
        codes_by_name: dict[str, tuple[str, int]] = {}
        for number, values, extra in rows:
            code = values.get("code")
            if code is None:
                continue
            if not self._first_row(self.matter_rows, code, MATTERS, number, "code", f"matter {code} repeated"):
                continue
            agency, agency_name = values.get("agency"), values.get("agency_name")
            if agency:  # the agencies are the matters' 实施机构: one name per code, one code per name
                known = agencies.setdefault(agency, {"code": agency, "name": agency_name or agency})
                if agency_name and known["name"] != agency_name:
                    self.error(self._cell(MATTERS, number, "agency_name"),
                               f"agency {agency} is named {known['name']!r} in an earlier row")
                elif agency_name and codes_by_name.setdefault(agency_name, (agency, number))[0] != agency:
                    first_code, first_row = codes_by_name[agency_name]
                    self.error(self._cell(MATTERS, number, "agency"),
                               f"{agency_name} is agency {first_code} in row {first_row}, not {agency}")
            # A faulty cell (reported) is stood in for, so that the catalog's checks still see the row.
            matters[code] = _kept({"name": code, "agency": "", "statutory_days": 10**6, "promised_days": 1}
                                  | {k: v for k, v in values.items() if k != "agency_name"} | {"materials": []}, extra)
        return agencies, matters

    def _materials(self, rows: list[tuple[int, dict, dict]], matters: dict[str, dict]) -> None:
        for number, values, extra in rows:
            matter, code = values.get("matter"), values.get("code")
            if matter is None or code is None or "name" not in values or "core" not in values:
                continue  # its faulty cell is reported; a material row is needed by nothing else
            if matter not in matters:
                if matter not in self.matter_rows:  # a repeated matter row was reported already
                    self.error(self._cell(MATERIALS, number, "matter"), f"unknown matter {matter} (not in sheet {self.names[MATTERS]})")
                continue
            if not self._first_row(self.material_rows, (matter, code), MATERIALS, number, "code",
                                   f"material {code} of matter {matter} repeated"):
                continue
            matters[matter]["materials"].append(_kept({k: v for k, v in values.items() if k != "matter"}, extra))

    def _bundles(self, rows: list[tuple[int, dict, dict]]) -> dict[str, dict]:
        bundles: dict[str, dict] = {}
        for number, values, extra in rows:
            code, matter = values.get("bundle"), values.get("matter")
            if code is None:
                continue
            bundle = bundles.get(code)
            if bundle is None:
                self.bundle_rows[(code,)] = number
                for key, header in (("name", "一件事名称"), ("promised_days", "承诺办结时限")):
                    if key not in values and not self._faulty(BUNDLES, number, key):
                        self.error(self._cell(BUNDLES, number, key) if (BUNDLES, number, key) in self.cells
                                   else f"{self.names[BUNDLES]}!{number}", f"{header} is empty on bundle {code}'s first row")
                bundle = bundles[code] = {"code": code, "name": values.get("name", code),
                                          "promised_days": values.get("promised_days", 1), "matters": []}
            else:
                for key in ("name", "promised_days"):
                    if key in values and values[key] != bundle[key]:
                        self.error(self._cell(BUNDLES, number, key),
                                   f"{values[key]!r} differs from bundle {code}'s first row ({bundle[key]!r}); "
                                   "leave it empty or repeat it")
            if matter is None:
                continue
            if not self._first_row(self.bundle_rows, (code, matter), BUNDLES, number, "matter",
                                   f"matter {matter} repeated in bundle {code}"):
                continue
            bundle["matters"].append(_kept({"matter": matter, "optional": values.get("optional", False)}, extra))
        return bundles

    def _faulty(self, sheet: str, number: int, key: str) -> bool:
        cell = self.cells.get((sheet, number, key))
        return cell is not None and any(e.startswith(f"{cell}:") for e in self.report.errors)

    def _check(self, document: dict) -> None:
        """The catalog's own rules (approvals.catalog), each fault at the cell its value came from, except
        at a cell already reported. (The cells were read one by one above; the caller still validates the
        document's structure with the catalog schema before it is loaded.)"""
        from schemas.catalog import catalog_from_document

        catalog: Catalog = catalog_from_document(document, checked=True)  # built as it is, checked below
        for problem in catalog_problems(list(catalog.agencies.values()), list(catalog.matters.values()),
                                        list(catalog.bundles.values())):
            cell = self._locate(problem.at)
            if str(cell) not in self.faulty:
                self.error(cell, problem.message)

    def _locate(self, at: tuple[str, ...]) -> Cell | str:
        part, code, key, *item = at + ("",) * (3 - len(at))
        if part == "matters" and key == "materials" and item and item[0]:
            number = self.material_rows.get((code, item[0]))
            field_key = item[1] if len(item) > 1 else "code"
            return self._cell(MATERIALS, number, field_key) if number else f"{self.names[MATERIALS]} ({code})"
        if part == "matters":
            number = self.matter_rows.get(code)
            return self._cell(MATTERS, number, key) if number else f"{self.names[MATTERS]} ({code})"
        if part == "bundles":
            number = self.bundle_rows.get((code, item[0]) if key == "matters" and item and item[0] else (code,))
            return self._cell(BUNDLES, number, "matter" if key == "matters" else key) if number else \
                f"{self.names[BUNDLES]} ({code})"
        return f"{part} {code}"


def _kept(entry: dict, extra: dict) -> dict:
    """A row's entry, with the columns the catalog does not use kept in it as they were."""
    if extra:
        entry["extra_columns"] = extra
    return entry
