"""Spreadsheets for people: formula neutralising (OWASP CSV injection) and workbook size checks."""

from __future__ import annotations

import re
import time
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from symbiosis.errors import InputError
from symbiosis.spreadsheet import WorkbookLimits, check_workbook, neutralise_formulas

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
LIMITS = WorkbookLimits(max_rows=100, max_cells=2_000, max_unzipped_bytes=10_000_000, time_budget_s=30.0,
                        names={"max_rows": "ROWS_SETTING", "max_cells": "CELLS_SETTING"})


def test_text_cells_that_start_like_a_formula_get_a_quote_and_numbers_stay_numbers():
    frame = pd.DataFrame({"name": [*FORMULAS, "Asnæs", None], "quantity": [-5.0, 1, 2, 3, 4, 5, -6, 7]},
                         index=pd.Index(["=A1", "b", "c", "d", "e", "f", "g", "h"], name="company_id"))
    safe = neutralise_formulas(frame)
    assert safe["name"].tolist()[:6] == ["'" + f for f in FORMULAS]
    assert safe["name"].tolist()[6] == "Asnæs" and pd.isna(safe["name"].tolist()[7])
    assert safe["quantity"].tolist() == frame["quantity"].tolist() and safe["quantity"].dtype == float
    assert safe.index[0] == "'=A1" and frame.index[0] == "=A1" and frame["name"].iloc[0] == FORMULAS[0]
    labelled = neutralise_formulas(pd.DataFrame({"=cmd: before": [1.0]}))
    assert list(labelled.columns) == ["'=cmd: before"]


def test_categorical_and_mixed_text_is_neutralised_and_untouched_columns_are_shared():
    frame = pd.DataFrame({
        "category": pd.Categorical(["=A1", "ok", "=A1", None]),
        "clash": pd.Categorical(["=x", "'=x", "y", "y"]),  # quoting "=x" would make it equal "'=x"
        "mixed": ["-1", -1, True, [1]],  # numbers and a list (unhashable) stay as they are
        "quantity": [1.0, 2.0, 3.0, 4.0],
    })
    safe = neutralise_formulas(frame)
    assert safe["category"].tolist()[:3] == ["'=A1", "ok", "'=A1"] and pd.isna(safe["category"].iloc[3])
    assert isinstance(safe["category"].dtype, pd.CategoricalDtype)
    assert safe["clash"].tolist() == ["'=x", "'=x", "y", "y"]
    assert safe["mixed"].tolist() == ["'-1", -1, True, [1]]
    assert frame["category"].iloc[0] == "=A1" and frame["mixed"].iloc[0] == "-1"
    assert np.shares_memory(safe["quantity"].to_numpy(), frame["quantity"].to_numpy())


def _workbook(path, rows: int = 3, far_cell: str | None = None):
    book = openpyxl.Workbook()
    companies = book.active
    companies.title = "companies"
    for r in range(rows):
        companies.append([f"c{r}", "Name", "23.51", 55.0, 11.0])
    if far_cell:
        companies[far_cell] = "x"
    book.create_sheet("listings").append(["listing_id"])
    book.save(path)
    return path


def _without_dimensions(path):
    """The workbook with its sheets' dimension records taken out (as some programs write them)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, re.sub(rb"<dimension[^>]*/>", b"", data) if "worksheets/" in name else data)
    return path


def test_a_far_sparse_cell_without_a_declared_dimension_stops_at_the_row_budget(tmp_path):
    path = _without_dimensions(_workbook(tmp_path / "undeclared.xlsx", far_cell="XFD1048576"))
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"undeclared.xlsx \[companies\].*has more than the limit of 100 rows"):
        check_workbook(path, LIMITS, ("companies", "listings"))
    assert time.perf_counter() - started < 0.5


def test_a_small_workbook_with_a_far_sparse_cell_is_refused_fast_from_its_declared_size(tmp_path):
    path = _workbook(tmp_path / "sparse.xlsx", far_cell="XFD1048576")
    assert path.stat().st_size < 8_000
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"sparse.xlsx \[companies\].*declares 1,048,576 rows, more than the "
                                         r"limit of 100 rows \(ROWS_SETTING\)"):
        check_workbook(path, LIMITS, ("companies", "listings"))
    assert time.perf_counter() - started < 0.5


def test_declared_cells_rows_and_the_time_budget_are_limits(tmp_path):
    wide = _workbook(tmp_path / "wide.xlsx", far_cell="ZZ2")
    with pytest.raises(InputError, match=r"declares 3 rows x 702 columns = 2,106 cells, more than the limit of "
                                         r"2,000 cells \(CELLS_SETTING\)"):
        check_workbook(wide, LIMITS, ("companies", "listings"))
    many = _workbook(tmp_path / "many.xlsx", rows=150)
    with pytest.raises(InputError, match="declares 150 rows, more than the limit of 100 rows"):
        check_workbook(many, LIMITS, ("companies", "listings"))
    check_workbook(_workbook(tmp_path / "fine.xlsx", rows=99), LIMITS, ("companies", "listings"))
    slow = WorkbookLimits(max_rows=1000, max_cells=100_000, max_unzipped_bytes=10_000_000, time_budget_s=1e-9)
    undeclared = _without_dimensions(_workbook(tmp_path / "slow.xlsx", rows=600))
    with pytest.raises(InputError, match=r"took longer than the limit of 1e-09 s to read \(stopped at row 256\)"):
        check_workbook(undeclared, slow, ("companies", "listings"))
    check_workbook(_workbook(tmp_path / "declared.xlsx", rows=600), slow, ("companies", "listings"))
    small = WorkbookLimits(max_rows=1000, max_cells=100_000, max_unzipped_bytes=1_000, time_budget_s=30.0)
    with pytest.raises(InputError, match=r"unpacks to [\d,]+ bytes, more than the limit of 1,000 bytes"):
        check_workbook(wide, small, ("companies", "listings"))
    (tmp_path / "not.xlsx").write_bytes(b"plain text")
    with pytest.raises(InputError, match="cannot be read as an .xlsx workbook"):
        check_workbook(tmp_path / "not.xlsx", LIMITS, ("companies",))
