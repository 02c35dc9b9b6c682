"""The empty input workbook, derived from the schema, with drop-downs and a sheet explaining every column.

Sheets: ``companies`` and ``listings`` (empty, with a bold frozen header, a comment on each header
cell, and drop-downs), ``settings`` (the workbook's ``locale``), ``example`` (one filled company and
listing; the reader never reads this sheet, so the data sheets hold only real rows), ``columns``
(every column explained), ``materials`` (the material classes and the 842 codes of the European
List of Waste, the source of the ``material`` drop-down) and a hidden ``lists`` sheet (common
units). Drop-downs that list a closed set (``kind``, ``transport_mode``, ``all_or_nothing``, and the
companies' ``port_access`` and ``rail_siding``) refuse
other values; those for ``unit``, ``material`` and ``company_id`` only inform, since other forms
(``kg/uge``, ``100105``) and companies added later are valid too.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from symbiosis.data import read_dataset
from symbiosis.input_files import SETTINGS, SETTINGS_SHEET
from symbiosis.materials import format_ewc
from symbiosis.schema import KINDS, TABLES, TRANSPORT_MODES
from symbiosis.units import COMMON_UNITS

TEMPLATE_NAME = "template.xlsx"
#: Rows of the data sheets that carry drop-downs (the header is row 1).
TEMPLATE_ROWS = 2000
#: Sheets the reader never reads.
EXAMPLE_SHEET = "example"
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def column_guide() -> pd.DataFrame:
    """One row per input column: table, column, required, type, allowed values, description, example."""
    rows = [
        {
            "table": table,
            "column": col.name,
            "required": "yes" if col.required else "no",
            "type": col.type,
            "allowed values": ", ".join(col.choices),
            "description": col.description,
            "example": col.example,
        }
        for table, columns in TABLES.items()
        for col in columns
    ]
    return pd.DataFrame(rows)


def material_list() -> pd.DataFrame:
    """Every material a listing may name: the classes, then the European List of Waste codes."""
    classes = read_dataset("materials.csv")
    ewc = read_dataset("ewc.csv")
    rows = [
        {"material_id": r.material_id, "kind": "material class", "name": r.name, "name_da": r.name_da,
         "hazardous": "", "unit": f"{r.canonical_unit}/yr", "description": r.description}
        for r in classes.itertuples(index=False)
    ] + [
        {"material_id": format_ewc(r.code), "kind": "waste code", "name": r.description, "name_da": "",
         "hazardous": "yes" if r.is_hazardous.strip().lower() == "true" else "no", "unit": "t/yr",
         "description": f"{r.chapter} / {r.sub_chapter}"}
        for r in ewc.itertuples(index=False)
    ]
    return pd.DataFrame(rows)


def _write_rows(sheet, header: list[str], rows: list[list]) -> None:
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
    sheet.freeze_panes = "A2"


def _fit_widths(sheet, minimum: int = 12, maximum: int = 60) -> None:
    widths: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=1, max_row=min(sheet.max_row, 60)):
        for cell in row:
            widths[cell.column] = max(widths.get(cell.column, 0), len(str(cell.value or "")))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(minimum, width + 2), maximum)


def _validation(sheet, column: str, formula: str, *, strict: bool, prompt: str) -> DataValidation:
    names = [c.value for c in sheet[1]]
    letter = get_column_letter(names.index(column) + 1)
    rule = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False)
    rule.error = prompt if strict else f"{prompt} Other values are accepted if the engine understands them."
    rule.errorTitle = column
    rule.errorStyle = "stop" if strict else "information"
    rule.prompt = prompt
    rule.promptTitle = column
    rule.showInputMessage = True
    rule.showErrorMessage = True
    rule.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    sheet.add_data_validation(rule)
    return rule


def write_template(path: str | Path) -> Path:
    """Write the empty template workbook (see the module docstring for its sheets)."""
    path = Path(path)
    book = Workbook()
    book.remove(book.active)
    for table, columns in TABLES.items():
        sheet = book.create_sheet(table)
        _write_rows(sheet, [c.name for c in columns], [])
        for cell, col in zip(sheet[1], columns):
            text = f"{'Required' if col.required else 'Optional'}. {col.description}\nExample: {col.example}"
            cell.comment = Comment(text, "symbiosis")
            cell.comment.width, cell.comment.height = 320, 120
            sheet.column_dimensions[cell.column_letter].width = max(12, min(40, max(len(col.name), len(col.example)) + 4))

    materials = material_list()
    companies = book["companies"]
    for column in ("port_access", "rail_siding"):
        if column in [c.name for c in TABLES["companies"]]:
            _validation(companies, column, '"yes,no,ja,nej"', strict=True,
                        prompt="yes or no (ja or nej); blank: not stated.")
    listings = book["listings"]
    _validation(listings, "kind", f'"{",".join(KINDS)}"', strict=True, prompt="offer (a byproduct you have) or need.")
    _validation(listings, "transport_mode", f'"{",".join(TRANSPORT_MODES)}"', strict=True,
                prompt="truck, rail, ship or pipeline (blank: the rule's mode).")
    _validation(listings, "all_or_nothing", '"yes,no,ja,nej"', strict=True, prompt="yes or no (ja or nej).")
    _validation(listings, "company_id", f"companies!$A$2:$A${TEMPLATE_ROWS + 1}", strict=False,
                prompt="A company_id from the companies sheet.")
    _validation(listings, "unit", f"lists!$A$2:$A${len(COMMON_UNITS) + 1}", strict=False,
                prompt="A rate: amount per period, e.g. t/yr, t/md, kg/uge, m3/år, MWh/yr.")
    _validation(listings, "material", f"materials!$A$2:$A${len(materials) + 1}", strict=False,
                prompt="A waste code ('10 01 02') or a class id; see the materials sheet.")

    settings = book.create_sheet(SETTINGS_SHEET)
    _write_rows(settings, ["setting", "value", "meaning"], [[name, "", meaning] for name, meaning in SETTINGS.items()])
    rule = DataValidation(type="list", formula1='"da,en"', allow_blank=True)
    rule.add("B2")
    settings.add_data_validation(rule)
    _fit_widths(settings, maximum=100)

    example = book.create_sheet(EXAMPLE_SHEET)
    example.append(["EXAMPLE ONLY: this sheet is never read. Enter your data in the companies and listings sheets."])
    example["A1"].font = Font(bold=True, color="C00000")
    for table, columns in TABLES.items():
        example.append([])
        example.append([table])
        example.cell(example.max_row, 1).font = _BOLD
        example.append([c.name for c in columns])
        for cell in example[example.max_row]:
            cell.font = _BOLD
        example.append([c.example for c in columns])
    _fit_widths(example, maximum=30)

    guide = book.create_sheet("columns")
    frame = column_guide()
    _write_rows(guide, list(frame.columns), frame.to_numpy().tolist())
    _fit_widths(guide, maximum=80)

    sheet = book.create_sheet("materials")
    _write_rows(sheet, list(materials.columns), materials.to_numpy().tolist())
    _fit_widths(sheet, maximum=70)

    lists = book.create_sheet("lists")
    _write_rows(lists, ["unit"], [[u] for u in COMMON_UNITS])
    lists.sheet_state = "hidden"

    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
