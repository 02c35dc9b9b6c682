"""results.xlsx and CSV for Excel: names, units, reasons, totals; formulas neutralised; Danish CSV."""

import io
import re
import zipfile
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest

from symbiosis.explain import explain_exchanges
from service import results_workbook
from service.results_workbook import write_csv_for_excel, write_results_workbook
from symbiosis.spreadsheet import neutralise_text as neutralise_formula

COMPANIES = pd.DataFrame({"name": ["Asnæs Kraftværk", "Gyproc", "=HYPERLINK(\"http://x\")"]},
                         index=pd.Index(["asnaes", "gyproc", "evil"], name="company_id"))
EXCHANGES = pd.DataFrame([{
    "offer_id": "asnaes-gypsum", "need_id": "gyproc-gypsum", "supplier_id": "asnaes", "receiver_id": "gyproc",
    "material": "10 01 05", "quantity": 1500.5, "unit": "t/md", "need_material": "gypsum", "need_quantity": 18006.0,
    "need_unit": "t/yr", "distance_km": 2.3, "transport_mode": "truck", "transport_co2e_t": 0.25, "resource_t": 18006.0,
    "water_m3": 0.0, "co2e_t": -0.25, "energy_mwh": 0.0, "waste_t": 18006.0, "value_eur": 1234.5,
    "transport_ttw_t": 0.2, "transport_wtt_t": 0.05, "rule_id": "fgd-gypsum-to-gypsum", "yield": 1.0,
    "max_distance_km": 100.0, "geodesic_km": 1.8, "link_cost_eur": 0.0, "objective_contribution": 36012.0,
}])
UNMATCHED = pd.DataFrame(
    {"company_id": ["evil"], "kind": ["offer"], "material": ["steam"], "reason": ["no partner within reach"],
     "nearest_id": ["gyproc-gypsum"], "nearest_km": [412.5]},
    index=pd.Index(["evil-steam"], name="listing_id"),
)
LISTINGS = pd.DataFrame({"company_id": ["evil", "gyproc"], "quantity": [30000.0, 18006.0], "unit": ["MWh/yr", "t/yr"]},
                        index=pd.Index(["evil-steam", "gyproc-gypsum"], name="listing_id"))
SUMMARY = {"status": "optimal", "objective": {"name": "diverted", "value": 36012.0, "unit": "t/yr"},
           "totals": {"resource_t": 18006.0, "water_m3": 0.0, "co2e_t": -0.25, "energy_mwh": 0.0, "waste_t": 18006.0,
                      "value_eur": 1234.5, "transport_co2e_t": 0.25},
           "counts": {"exchanges": 1, "unmatched_listings": 1}, "notices": ["-notice that looks like a formula"]}


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_prefixes_are_neutralised(text):
    assert neutralise_formula(text) == "'" + text


def test_plain_text_and_numbers_are_left_alone():
    assert neutralise_formula("Asnæs") == "Asnæs" and neutralise_formula(-1.5) == -1.5 and neutralise_formula(None) is None


@pytest.fixture
def book(tmp_path):
    path = write_results_workbook(tmp_path / "results.xlsx", EXCHANGES, UNMATCHED, SUMMARY, COMPANIES, LISTINGS)
    return openpyxl.load_workbook(path)


def _rows(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_exchanges_sheet_has_names_units_and_an_explanation(book):
    [row] = _rows(book["exchanges"])
    assert row["supplier"] == "Asnæs Kraftværk" and row["receiver"] == "Gyproc"
    assert row["quantity (offer's unit)"] == 1500.5 and row["unit"] == "t/md"
    assert row["distance (km)"] == 2.3 and row["net benefit (EUR/yr)"] == 1234.5
    assert row["net CO2e avoided (t/yr)"] == -0.25
    assert row["material name"]  # the List of Waste description of 10 01 05
    assert row["explanation"] == explain_exchanges(EXCHANGES, "diverted").iloc[0]  # the one explanation
    assert "rule fgd-gypsum-to-gypsum" in row["explanation"] and "2.3 km by truck" in row["explanation"]
    assert book["exchanges"].freeze_panes == "A2" and book["exchanges"]["A1"].font.b


def test_unmatched_sheet_has_company_quantity_unit_and_reason_with_formulas_neutralised(book):
    [row] = _rows(book["unmatched"])
    assert row["company"] == "'=HYPERLINK(\"http://x\")"
    assert row["quantity"] == 30000.0 and row["unit"] == "MWh/yr" and row["reason"] == "no partner within reach"
    assert row["nearest partner"] == "Gyproc" and row["nearest partner distance (km)"] == 412.5
    assert all(not (isinstance(c.value, str) and c.value.startswith("=")) for r in book["unmatched"].iter_rows() for c in r)


def test_indicator_sheet_has_the_totals_with_units(book):
    rows = {r["column"]: r for r in _rows(book["indicators"])}
    assert set(rows) == {"resource_t", "water_m3", "co2e_t", "energy_mwh", "waste_t", "transport_co2e_t", "value_eur"}
    assert rows["waste_t"]["total"] == 18006.0 and rows["waste_t"]["unit"] == "t/yr"
    assert rows["value_eur"]["unit"] == "EUR/yr" and rows["co2e_t"]["unit"] == "t CO2e/yr"
    about = {r["item"]: r["value"] for r in _rows(book["about"])}
    assert about["status"] == "optimal" and about["notice 1"].startswith("'-")


def test_an_empty_run_still_writes_every_sheet(tmp_path):
    path = write_results_workbook(tmp_path / "r.xlsx", EXCHANGES.iloc[0:0], UNMATCHED.iloc[0:0],
                                  {"status": "optimal", "totals": {}}, COMPANIES)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["exchanges", "unmatched", "indicators", "about"]
    assert {r["column"]: r["total"] for r in _rows(book["indicators"])}["waste_t"] == "unknown"


def test_csv_for_excel_has_a_bom_and_danish_separators(tmp_path):
    frame = UNMATCHED.assign(quantity=[1234.5])
    plain = write_csv_for_excel(frame, tmp_path / "u.csv")
    raw = plain.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[1].startswith("evil-steam,evil,offer")
    danish = write_csv_for_excel(EXCHANGES.assign(supplier_name="Asnæs"), tmp_path / "e.csv", danish=True)
    text = danish.read_bytes().decode("utf-8-sig")
    header, row = text.splitlines()
    assert header.startswith("offer_id;need_id;") and ";1500,5;t/md;" in row and "Asnæs" in row
    back = pd.read_csv(danish, sep=";", decimal=",", encoding="utf-8-sig")
    assert back.loc[0, "quantity"] == pytest.approx(1500.5)


def test_csv_for_excel_neutralises_formulas(tmp_path):
    path = write_csv_for_excel(pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "ok"]}), tmp_path / "x.csv")
    assert path.read_text(encoding="utf-8-sig").splitlines()[1].startswith("'=cmd")


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {info.filename: re.sub(rb"\d{4}-\d\d-\d\dT[\d:]+Z", b"", book.read(info)) for info in book.infolist()}


TRICKY = pd.DataFrame({
    "text": ["plain", "=1+1", "a & b <c> \"d\"", " lead", "trail\n", "_x0041_ and \x01\x1f", "\ufffe", "", None, "-x",
             "æøå\tmid", "\u2028edge", "ok", None, None, None],
    "number": [1.5, -0.0, np.nan, np.inf, -np.inf, 1e300, 1.2345678901234567e17, 5e-324, 0.1, 2.0, -3.25, 7.0,
               np.nan, np.nan, np.nan, np.nan],
    "integer": [*range(12), 2**63 - 1, 0, 0, 0],
    "flag": [True, False] * 8,
    "category": pd.Categorical(["a", "=b", None, "_x0042_"] * 4),
    "mixed": ["x", 1, 2.5, True, None, pd.Timestamp("2026-01-02 03:04"), date(2026, 1, 2), np.int64(3),
              np.float64("nan"), "=y", -7, "", None, None, None, None],
}).astype({"integer": "int64"})


@pytest.mark.parametrize("extra", [None, "<r>rich-looking text</r>", "long " * 4000])
def test_the_block_writer_writes_what_xlsxwriter_writes_cell_by_cell(tmp_path, monkeypatch, extra):
    """Same XML in every file of the workbook (text escaped, quoted and spaced alike, numbers to 16
    digits, rows without cells left out, the dimension), across blocks; with a cell it does not
    write (rich-looking or very long text) the workbook is written cell by cell."""
    monkeypatch.setattr(results_workbook, "ROWS_PER_BLOCK", 3)
    frame = TRICKY.astype({"flag": object, "integer": object})
    frame.loc[frame.index[-4:], ["text", "flag", "integer", "category"]] = None  # the last rows have no cells
    frame.loc[0, "mixed"] = extra
    headers = {column: column for column in [*frame.columns, "derived"]}

    def derived(part):  # a column worked out per block
        return part.assign(derived=part["number"] * 2 + part.index.to_numpy())

    sheets = [("tricky", frame, headers, "text", None), ("empty", frame.iloc[0:0], headers, None, None),
              ("numbers", TRICKY[["number", "integer"]], headers, "number", derived)]
    template = io.BytesIO()
    rows = results_workbook._write_book(template, sheets, rows=False)
    blocks = results_workbook._fill_sheets(template, tmp_path / "blocks.xlsx", rows)
    results_workbook._write_book(tmp_path / "cells.xlsx", sheets, rows=True)
    assert blocks is (extra is None)
    if blocks:
        assert _members(tmp_path / "blocks.xlsx") == _members(tmp_path / "cells.xlsx")
        members = _members(tmp_path / "blocks.xlsx")
        assert b'<dimension ref="A1:F13"/>' in members["xl/worksheets/sheet1.xml"]
        assert b'<c r="C13"><v>25</v></c>' in members["xl/worksheets/sheet3.xml"]  # 2 x 7.0 + row 11


@pytest.mark.parametrize("danish", [False, True])
def test_csv_written_in_chunks_is_the_csv_written_in_one_piece(tmp_path, monkeypatch, danish):
    """Chunks (each with what ``derive`` adds) give the same bytes as the whole table at once: one
    header, one byte-order mark; a table with dates (one format per column) is written in one piece."""
    frame = TRICKY.drop(columns=["mixed"]).set_index(pd.Index([f"L{i}" for i in range(len(TRICKY))], name="id"))
    frame["when"] = pd.Timestamp("2026-01-01")
    frame.loc["L3", "when"] = pd.Timestamp("2026-01-01 12:30")  # other rows' dates are written with a time too

    def derive(part):
        return part.round(1).assign(double=part["number"] * 2)

    one_piece = derive(frame.drop(columns="when"))
    write_csv_for_excel(one_piece, tmp_path / "whole.csv", danish=danish)
    write_csv_for_excel(frame, tmp_path / "dated.csv", danish=danish)
    monkeypatch.setattr(results_workbook, "CSV_ROWS_PER_CHUNK", 3)
    write_csv_for_excel(frame.drop(columns="when"), tmp_path / "chunks.csv", danish=danish, derive=derive)
    write_csv_for_excel(frame, tmp_path / "dated_chunks.csv", danish=danish)
    assert (tmp_path / "chunks.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert (tmp_path / "chunks.csv").read_bytes().count(b"\xef\xbb\xbf") == 1
    assert (tmp_path / "dated_chunks.csv").read_bytes() == (tmp_path / "dated.csv").read_bytes()
    assert b"2026-01-01 00:00:00" in (tmp_path / "dated.csv").read_bytes()
