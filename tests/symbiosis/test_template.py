"""The template workbook: drop-downs, frozen bold header, example sheet, material list; and it reads back."""

import openpyxl
import pandas as pd
import pytest

from symbiosis.materials import default_catalog

from symbiosis.data import dataset_path
from symbiosis.registry import read_workbook_tables, validate_tables
from symbiosis.schema import TABLES
from symbiosis.template import TEMPLATE_ROWS, write_template


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = write_template(tmp_path_factory.mktemp("t") / "t.xlsx")
    return openpyxl.load_workbook(path)


def _validations(sheet) -> dict[str, object]:
    names = [c.value for c in sheet[1]]
    found = {}
    for rule in sheet.data_validations.dataValidation:
        for cells in rule.sqref.ranges:
            found[names[cells.min_col - 1]] = rule
    return found


def test_listing_drop_downs_exist_with_the_right_sources(book):
    rules = _validations(book["listings"])
    assert rules["kind"].formula1 == '"offer,need"' and rules["kind"].errorStyle == "stop"
    assert rules["transport_mode"].formula1 == '"truck,rail,ship,pipeline"'
    assert "yes" in rules["all_or_nothing"].formula1 and "no" in rules["all_or_nothing"].formula1
    assert rules["company_id"].formula1.startswith("companies!$A$2")
    assert rules["material"].formula1 == f"materials!$A$2:$A${len(read_materials(book)) + 1}"
    assert rules["unit"].formula1.startswith("lists!") and rules["unit"].errorStyle == "information"
    assert rules["material"].errorStyle == "information"  # other spellings of a code stay possible
    assert all(r.type == "list" for r in rules.values())
    assert str(rules["kind"].sqref) == f"C2:C{TEMPLATE_ROWS + 1}"


def test_company_yes_no_columns_have_drop_downs(book):
    rules = _validations(book["companies"])
    for column in ("port_access", "rail_siding"):
        assert rules[column].formula1 == '"yes,no,ja,nej"' and rules[column].errorStyle == "stop", column


def read_materials(book) -> list[tuple]:
    return list(book["materials"].iter_rows(min_row=2, values_only=True))


def test_material_sheet_lists_every_code_and_class(book):
    rows = read_materials(book)
    ids = [r[0] for r in rows]
    classes = len(default_catalog().classes)
    assert len(rows) == 842 + classes and "10 01 02" in ids and "steam" in ids and "electricity" in ids
    assert book["lists"].sheet_state == "hidden" and book["lists"]["A2"].value == "t/yr"


def test_headers_are_bold_frozen_commented_and_wide_enough(book):
    for table, columns in TABLES.items():
        sheet = book[table]
        assert [c.value for c in sheet[1]] == [c.name for c in columns]
        assert sheet.freeze_panes == "A2" and all(c.font.b for c in sheet[1])
        assert all(c.comment is not None and "Example:" in c.comment.text for c in sheet[1])
        assert all(sheet.column_dimensions[c.column_letter].width >= 12 for c in sheet[1])
        assert sheet.max_row == 1  # no example in the data sheets


def test_the_example_sheet_holds_valid_example_rows(book):
    rows = list(book["example"].iter_rows(values_only=True))
    assert "EXAMPLE" in rows[0][0]
    tables = {}
    for i, row in enumerate(rows):
        if row[0] in TABLES:
            header = [v for v in rows[i + 1] if v is not None]
            tables[row[0]] = pd.DataFrame([list(rows[i + 2][: len(header)])], columns=header).fillna("")
    registry = validate_tables(tables["companies"], tables["listings"])
    assert len(registry.listings) == 1


def test_settings_sheet_offers_the_locale_and_the_empty_template_reads(book, tmp_path):
    assert book["settings"]["A2"].value == "locale"
    tables = read_workbook_tables(dataset_path("template.xlsx"))
    assert tables["companies"].attrs["locale"] is None and tables["listings"].empty


def test_shipped_template_has_the_drop_downs():
    shipped = openpyxl.load_workbook(dataset_path("template.xlsx"))
    rules = _validations(shipped["listings"])
    assert {"kind", "unit", "transport_mode", "all_or_nothing", "company_id", "material"} <= set(rules)
    assert {"port_access", "rail_siding"} <= set(_validations(shipped["companies"]))


def test_the_shipped_template_is_the_one_the_command_writes(book):
    """datasets/template.xlsx holds every material class and rule data as shipped (regenerate it with
    `symbiosis template --out datasets/template.xlsx` after changing the data)."""
    shipped = openpyxl.load_workbook(dataset_path("template.xlsx"))
    assert shipped.sheetnames == book.sheetnames
    for name in book.sheetnames:
        assert ([[c.value for c in row] for row in shipped[name].iter_rows()]
                == [[c.value for c in row] for row in book[name].iter_rows()]), name
