"""A county's implementation list (实施清单) as a spreadsheet: read whole into a catalog, or written from one.

Three sheets (or three CSV files): 事项 (one row per matter), 材料 (one row per material of a matter)
and 一件事 (one row per matter of a bundle; the bundle's name and promise on its first row). Every
cell is checked and every fault is reported with its sheet, row and column; a workbook with one
fault loads nothing. Columns onevisit does not know are kept on the row's matter, material or
bundle entry (`extra_columns`) and reported, never dropped silently. Matter codes may be numeric
(the province's 事项编码).

`columns` says what each sheet holds and how a cell reads, `reading` turns a workbook into a catalog
document with its faults, `writing` turns a catalog document into a workbook (the template).
"""
