"""Files as real spreadsheets write them: Danish CSV, cp1252, blank rows, Danish dates, NACE forms."""

import io

import pandas as pd
import pytest

from symbiosis.dates import parse_date
from symbiosis.errors import InputError
from symbiosis.input_files import detect_separator
from symbiosis.nace import normalise_nace
from symbiosis.registry import read_csv_table, read_registry

LISTINGS = "listing_id,company_id,kind,material,quantity,unit\ng,a,offer,gypsum,10,t/yr\nn,b,need,gypsum,5,t/yr\n"
COMPANIES = "company_id,name,nace,lat,lon\na,Alpha,35.11,55.66,11.08\nb,Beta,23.62,55.67,11.10\n"


def _write(tmp_path, companies: str, listings: str, *, encoding="utf-8"):
    (tmp_path / "c.csv").write_bytes(companies.encode(encoding))
    (tmp_path / "l.csv").write_bytes(listings.encode(encoding))
    return tmp_path / "c.csv", tmp_path / "l.csv"


def test_danish_excel_semicolon_csv_in_cp1252_loads(tmp_path):
    companies = "company_id;name;nace;lat;lon;municipality\na;Asnæs Kraftværk;35.11;55,66;11,08;Kalundborg\nb;Gyproc;23.62;55,67;11,10;Kalundborg\n"
    listings = "listing_id;company_id;kind;material;quantity;unit\ng;a;offer;gypsum;1.500,5;t/år\nn;b;need;gypsum;200;t/md\n"
    c, l = _write(tmp_path, companies, listings, encoding="cp1252")
    reg = read_registry(companies=c, listings=l, locale="da")
    assert reg.companies.loc["a", "name"] == "Asnæs Kraftværk"
    assert reg.companies.loc["a", "lat"] == pytest.approx(55.66)
    assert reg.listings.loc["g", "quantity"] == pytest.approx(1500.5)
    assert reg.listings.loc["n", "quantity_canonical"] == pytest.approx(2400)
    assert any("semicolon-separated" in n and "cp1252" in n for n in reg.notices)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_separator_and_encoding_are_detected(tmp_path, encoding, sep):
    text = "company_id,name,nace,lat,lon\na,Ærø Øst,35.11,55.5,11.0\n".replace(",", sep)
    (tmp_path / "c.csv").write_bytes(text.encode(encoding))
    frame = read_csv_table(tmp_path / "c.csv")
    assert list(frame.columns) == ["company_id", "name", "nace", "lat", "lon"]
    assert frame.loc[0, "name"] == "Ærø Øst"


def test_separator_detection_reads_the_header():
    assert detect_separator("a;b;c\n1,5;2;3\n") == ";"
    assert detect_separator("a,b\n") == "," and detect_separator("only\n") == ","


def test_blank_rows_are_skipped_and_row_numbers_stay_the_files(tmp_path):
    listings = ("listing_id,company_id,kind,material,quantity,unit\ng,a,offer,gypsum,10,t/yr\n,,,,,\n\n"
                "n,b,need,gypsum,-5,t/yr\n")
    c, l = _write(tmp_path, COMPANIES, listings)
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l)
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (5, "quantity")


def test_blank_rows_alone_load(tmp_path):
    listings = "listing_id,company_id,kind,material,quantity,unit\ng,a,offer,gypsum,10,t/yr\n;;\n,, ,,,\nn,b,need,gypsum,5,t/yr\n"
    c, l = _write(tmp_path, COMPANIES, listings.replace(";;\n", ""))
    reg = read_registry(companies=c, listings=l)
    assert list(reg.listings.index) == ["g", "n"]


def test_workbook_blank_rows_keep_sheet_row_numbers(tmp_path):
    path = tmp_path / "w.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"company_id": ["a"], "name": ["A"], "nace": ["35.11"], "lat": [55.66], "lon": [11.08]}
                     ).to_excel(writer, sheet_name="companies", index=False)
        pd.DataFrame({"listing_id": ["g", None, "n"], "company_id": ["a", None, "a"], "kind": ["offer", None, "need"],
                      "material": ["gypsum", None, "gypsum"], "quantity": [1, None, "x"], "unit": ["t/yr", None, "t/yr"]}
                     ).to_excel(writer, sheet_name="listings", index=False)
    with pytest.raises(InputError) as info:
        read_registry(workbook=path)
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (4, "quantity")


@pytest.mark.parametrize("text", ["2026-01-01", "01-01-2026", "01.01.2026", "1.1.2026", "2026-01-01 00:00:00"])
def test_date_forms(text):
    assert parse_date(text) == pd.Timestamp("2026-01-01")


@pytest.mark.parametrize(("text", "message"), [("01/02/2026", "Denmark and the US"), ("31.02.2026", "not a real day"),
                                               ("2026", "not a date"), ("01-01.2026", "not a date")])
def test_bad_dates_are_explained(text, message):
    with pytest.raises(ValueError, match=message):
        parse_date(text)


def test_danish_dates_in_a_listing_file(tmp_path):
    listings = ("listing_id,company_id,kind,material,quantity,unit,available_from,available_to\n"
                "g,a,offer,gypsum,10,t/yr,01-01-2026,31.12.2030\nn,b,need,gypsum,5,t/yr,01.01.2026,\n")
    c, l = _write(tmp_path, COMPANIES, listings)
    reg = read_registry(companies=c, listings=l)
    assert reg.listings.loc["g", "available_to"] == pd.Timestamp("2030-12-31")
    assert reg.listings.loc["n", "available_from"] == pd.Timestamp("2026-01-01")


@pytest.mark.parametrize(("text", "code"), [("35.11", "35.11"), ("3511", "35.11"), ("351100", "35.11"), ("35.1", "35.1"),
                                            ("35", "35"), ("351", "35.1"), ("35,11", "35.11"), ("0146", "01.46"),
                                            ("014600", "01.46")])
def test_nace_forms_are_normalised(text, code):
    assert normalise_nace(text) == code


@pytest.mark.parametrize(("text", "suggested"), [("1.46", "01.46"), ("146", "01.46"), ("1.1", "01.1"), ("14600", "01.46")])
def test_nace_that_a_spreadsheet_turned_into_a_number_is_explained(text, suggested):
    with pytest.raises(ValueError) as info:
        normalise_nace(text)
    assert suggested in str(info.value) and "number" in str(info.value)


def test_nace_in_the_companies_file_is_normalised_or_explained(tmp_path):
    companies = ("company_id,name,nace,lat,lon\na,Alpha,3511,55.66,11.08\nb,Beta,236200,55.67,11.10\n"
                 "c,Gamma,1.46,55.68,11.12\n")
    c, l = _write(tmp_path, companies, LISTINGS)
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l)
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (4, "nace") and "01.46" in problem.reason
    c, l = _write(tmp_path, companies.replace("1.46", "01.46"), LISTINGS)
    reg = read_registry(companies=c, listings=l)
    assert list(reg.companies["nace"]) == ["35.11", "23.62", "01.46"]


def test_workbook_nace_number_cell_is_explained(tmp_path):
    path = tmp_path / "w.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"company_id": ["a"], "name": ["A"], "nace": [1.46], "lat": [55.66], "lon": [11.08]}
                     ).to_excel(writer, sheet_name="companies", index=False)
        pd.DataFrame({"listing_id": ["g"], "company_id": ["a"], "kind": ["offer"], "material": ["gypsum"],
                      "quantity": [1], "unit": ["t/yr"]}).to_excel(writer, sheet_name="listings", index=False)
    with pytest.raises(InputError, match="looks like 01.46"):
        read_registry(workbook=path)


@pytest.mark.parametrize("unit", ["t/", "(t/yr", ")))", "t/md2"])
def test_malformed_units_are_row_errors(tmp_path, unit):
    c, l = _write(tmp_path, COMPANIES, f'listing_id,company_id,kind,material,quantity,unit\ng,a,offer,gypsum,10,"{unit}"\n')
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l)
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (2, "unit")


def test_danish_units_in_a_file(tmp_path):
    c, l = _write(tmp_path, COMPANIES, "listing_id,company_id,kind,material,quantity,unit\n"
                  "g,a,offer,gypsum,10,t/md\nn,b,need,gypsum,5,ton/year\n")
    reg = read_registry(companies=c, listings=l)
    assert reg.listings.loc["g", "quantity_canonical"] == pytest.approx(120)
    assert reg.listings.loc["n", "quantity_canonical"] == pytest.approx(5)


def test_unknown_material_suggests_the_closest_codes(tmp_path):
    c, l = _write(tmp_path, COMPANIES, "listing_id,company_id,kind,material,quantity,unit\ng,a,offer,fly ash,10,t/yr\n")
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l)
    [problem] = info.value.problems
    assert problem.column == "material" and "closest: 10 01 02 (Coal fly ash)" in problem.reason


def test_undecodable_file_is_an_input_error(tmp_path):
    (tmp_path / "c.csv").write_bytes(b"company_id\n\x81\x8d\x8f\n")
    with pytest.raises(InputError, match="neither UTF-8 nor Windows-1252"):
        read_csv_table(tmp_path / "c.csv")


def test_workbook_nace_number_that_lost_its_trailing_zero_gets_a_notice(tmp_path):
    path = tmp_path / "w.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"company_id": ["a", "b"], "name": ["A", "B"], "nace": [23.2, 3511], "lat": [55.66, 55.6],
                      "lon": [11.08, 11.0]}).to_excel(writer, sheet_name="companies", index=False)
        pd.DataFrame({"listing_id": ["g"], "company_id": ["a"], "kind": ["offer"], "material": ["gypsum"],
                      "quantity": [1], "unit": ["t/yr"]}).to_excel(writer, sheet_name="listings", index=False)
    reg = read_registry(workbook=path)
    assert list(reg.companies["nace"]) == ["23.2", "35.11"]
    [note] = [n for n in reg.notices if "nace" in n]
    assert "row 2" in note and "23.20" in note


def test_workbook_with_a_repeated_header_is_an_error_naming_sheet_and_column(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "companies"
    sheet.append(["company_id", "name", "nace", "lat", "lon", "name", None])
    sheet.append(["a", "A", "35.11", 55.66, 11.08, "dup", None])
    listings = book.create_sheet("listings")
    listings.append(["listing_id", "company_id", "kind", "material", "quantity", "unit"])
    listings.append(["g", "a", "offer", "gypsum", 3, "t/yr"])
    book.save(tmp_path / "w.xlsx")
    with pytest.raises(InputError) as info:
        read_registry(workbook=tmp_path / "w.xlsx")
    assert [(p.table, p.column, p.reason) for p in info.value.problems] == [
        ("w.xlsx [companies]", "name", "column 'name' appears 2 times: keep one")]


# --- CSV that is not well-formed: every defect is an error naming the file, row and line ----------------------

DESCRIBED = "listing_id,company_id,kind,material,quantity,unit,description\n"


def _problems(tmp_path, companies: str, listings: str, *, encoding="utf-8"):
    c, l = _write(tmp_path, companies, listings, encoding=encoding)
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l)
    return info.value.problems


def test_an_unclosed_quote_that_a_later_quote_closes_is_an_error_naming_the_line_it_opens_on(tmp_path):
    listings = (DESCRIBED + 'o1,a,offer,10 01 05,1000,t/yr,"Grade A gypsum\nn1,b,need,gypsum,800,t/yr,for boards\n'
                'n2,b,need,gypsum,300,t/yr,"Food grade"\nn3,b,need,gypsum,200,t/yr,x\n')
    [problem] = _problems(tmp_path, COMPANIES, listings)
    assert (problem.table, problem.row) == ("l.csv", 2)
    assert "line 2" in problem.reason and "closing quote" in problem.reason


def test_a_quote_still_open_at_the_end_of_the_file_is_an_error_naming_the_line_it_opens_on(tmp_path):
    listings = DESCRIBED + 'o1,a,offer,10 01 05,1000,t/yr,ok\nn1,b,need,gypsum,800,t/yr,"for boards\nn2,b,need,gypsum,3,t/yr\n'
    [problem] = _problems(tmp_path, COMPANIES, listings)
    assert (problem.table, problem.row) == ("l.csv", 3)
    assert "line 3" in problem.reason and "never closed" in problem.reason


def test_rows_swallowed_by_a_quote_that_closes_at_the_end_of_a_line_are_an_error(tmp_path):
    listings = (DESCRIBED + 'o1,a,offer,10 01 05,1000,t/yr,"Grade A gypsum\nn1,b,need,gypsum,800,t/yr,for boards\n'
                'n2,b,need,gypsum,300,t/yr,5 mm"\n')
    [problem] = _problems(tmp_path, COMPANIES, listings)
    assert problem.row == 2 and "line 3" in problem.reason and "closing quote missing on line 2" in problem.reason


def test_text_after_a_closing_quote_is_an_error(tmp_path):
    [problem] = _problems(tmp_path, COMPANIES, LISTINGS.replace("n,b,need", '"n" ,b,need'))
    assert problem.row == 3 and "line 3" in problem.reason and 'two quotes ("")' in problem.reason


@pytest.mark.parametrize("sep", [",", ";"])
def test_quoted_text_of_several_lines_still_loads(tmp_path, sep):
    text = "Grade A gypsum, dry\nfrom flue-gas desulphurisation, 1-3 mm\r\nsee \"spec\"; ask us"
    quoted = '"' + text.replace('"', '""') + '"'
    rows = [DESCRIBED.strip().split(","), ["g", "a", "offer", "gypsum", "10", "t/yr", quoted],
            ["n", "b", "need", "gypsum", "5", "t/yr", ""]]
    c, l = _write(tmp_path, COMPANIES, "".join(sep.join(row) + "\n" for row in rows))
    frame = read_csv_table(l)
    assert list(frame["listing_id"]) == ["g", "n"]
    assert frame.loc[0, "description"] == text


def test_row_numbers_after_a_multi_line_cell_name_the_row_and_its_line(tmp_path):
    listings = DESCRIBED + 'g,a,offer,gypsum,10,t/yr,"two\nlines"\nn,b,need,gypsum,5,t/yr,x,y\n'
    [problem] = _problems(tmp_path, COMPANIES, listings)
    assert problem.row == 3 and "(line 4)" in problem.reason


def test_a_row_with_more_fields_than_the_header_is_an_error_naming_row_and_counts(tmp_path):
    companies = COMPANIES.replace("a,Alpha,35.11,55.66,11.08", "a,Alpha,35.11,55,66,11,08")
    [problem] = _problems(tmp_path, companies, LISTINGS)
    assert (problem.table, problem.row, problem.column) == ("c.csv", 2, None)
    assert "has 7 fields, the header has 5" in problem.reason


def test_a_trailing_separator_on_every_row_is_an_error_for_each_row(tmp_path):
    companies = "company_id;name;nace;lat;lon\na;Alpha;35.11;55,66;11,08;\nb;Beta;23.62;55,67;11,10;\n"
    problems = _problems(tmp_path, companies, LISTINGS)
    assert [(p.table, p.row) for p in problems] == [("c.csv", 2), ("c.csv", 3)]
    assert all("has 6 fields, the header has 5" in p.reason and "semicolon" in p.reason for p in problems)


def test_rows_with_fewer_fields_or_blank_extra_fields_load_with_blank_cells(tmp_path):
    listings = ("listing_id,company_id,kind,material,quantity,unit,available_from,available_to\n"
                "g,a,offer,gypsum,10,t/yr\n,,,,,,,,,\nn,b,need,gypsum,5,t/yr,01.01.2026\n")
    c, l = _write(tmp_path, COMPANIES, listings)
    frame = read_csv_table(l)
    assert frame.loc[0].tolist() == ["g", "a", "offer", "gypsum", "10", "t/yr", "", ""]
    reg = read_registry(companies=c, listings=l)
    assert list(reg.listings.index) == ["g", "n"]
    assert pd.isna(reg.listings.loc["g", "available_from"])
    assert reg.listings.loc["n", "available_from"] == pd.Timestamp("2026-01-01")


@pytest.mark.parametrize(("text", "message"), [("", "is empty"), ("\n\n", "is empty"),
                                               ("\ncompany_id,name\n", "first line is blank")])
def test_a_file_without_a_header_row_is_an_error(tmp_path, text, message):
    (tmp_path / "c.csv").write_text(text)
    with pytest.raises(InputError, match=message):
        read_csv_table(tmp_path / "c.csv")


def test_repeated_and_padded_csv_headers_are_renamed_as_in_a_workbook(tmp_path):
    (tmp_path / "c.csv").write_text(" a , a,\n1,2,3\n")
    assert list(read_csv_table(tmp_path / "c.csv").columns) == ["a", "a.1", "Unnamed: 2"]


# --- encodings --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_unicode_text_with_a_byte_order_mark_loads(tmp_path, encoding):
    companies = "company_id\tname\tnace\tlat\tlon\na\tÆrø Øst\t35.11\t55.66\t11.08\nb\tBeta\t23.62\t55.67\t11.10\n"
    listings = LISTINGS.replace(",", "\t")
    if encoding in ("utf-16-le", "utf-16-be"):  # the mark written by hand, in the file's byte order
        companies, listings = "\ufeff" + companies, "\ufeff" + listings
    reg = read_registry(**dict(zip(("companies", "listings"), _write(tmp_path, companies, listings, encoding=encoding))))
    assert reg.companies.loc["a", "name"] == "Ærø Øst" and list(reg.listings.index) == ["g", "n"]
    name = "UTF-32" if encoding == "utf-32" else "UTF-16"
    assert f"c.csv: read as tab-separated text in {name}" in reg.notices


def test_a_byte_order_mark_that_lies_is_an_error(tmp_path):
    (tmp_path / "c.csv").write_bytes(b"\xff\xfe" + "company_id\na\n".encode("utf-16-le") + b"\x00")
    with pytest.raises(InputError, match="byte-order mark of UTF-16 text but is not UTF-16"):
        read_csv_table(tmp_path / "c.csv")
    (tmp_path / "c.csv").write_bytes(b"\xef\xbb\xbf" + "company_id\nÆblegaard\n".encode("cp1252"))
    with pytest.raises(InputError, match="byte-order mark of UTF-8 text but is not UTF-8"):
        read_csv_table(tmp_path / "c.csv")


def test_a_file_that_is_not_text_says_so(tmp_path):
    path = tmp_path / "w.xlsx"
    pd.DataFrame({"company_id": ["a"]}).to_excel(path, index=False)
    (tmp_path / "c.csv").write_bytes(path.read_bytes())
    with pytest.raises(InputError, match="not text but a zip file"):
        read_csv_table(tmp_path / "c.csv")
    (tmp_path / "c.csv").write_bytes(bytes(range(256)) * 8)
    with pytest.raises(InputError, match=r"is not text \(\d+ of its first 2,048 bytes are control bytes\)"):
        read_csv_table(tmp_path / "c.csv")
    (tmp_path / "c.csv").write_bytes(COMPANIES.encode("utf-16-le"))
    with pytest.raises(InputError, match="UTF-16 text without the byte-order mark"):
        read_csv_table(tmp_path / "c.csv")


def test_a_stray_control_character_in_a_cell_is_still_read_as_text(tmp_path):
    (tmp_path / "c.csv").write_bytes(COMPANIES.replace("Beta", "Be\x00ta").encode())
    assert read_csv_table(tmp_path / "c.csv").loc[1, "name"] == "Be\x00ta"


# --- workbooks ----------------------------------------------------------------------------------------------------

def _book():
    import openpyxl

    book = openpyxl.Workbook()
    companies = book.active
    companies.title = "companies"
    for row in (["company_id", "name", "nace", "lat", "lon"], ["a", "A", "35.11", 55.66, 11.08], ["b", "B", "23.62", 55.6, 11.0]):
        companies.append(row)
    listings = book.create_sheet("listings")
    listings.append(["listing_id", "company_id", "kind", "material", "quantity", "unit", "available_to", "max_distance_km"])
    return book, listings


def _with_dimension(path, sheet_part: str, ref: str) -> None:
    """Rewrite one sheet's dimension record, as a careless program that edited the sheet leaves it."""
    import re
    import zipfile

    source = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == sheet_part:
                data, count = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="%s"' % ref.encode(), data)
                assert count == 1
            zout.writestr(item, data)


def test_a_workbook_sheet_with_a_stale_dimension_record_is_read_to_its_last_row_and_column(tmp_path):
    book, listings = _book()
    for row in (["o1", "a", "offer", "10 01 05", 1000, "t/yr"], ["n1", "b", "need", "gypsum", 800, "t/yr"],
                ["n2", "b", "need", "gypsum", 300, "t/yr"]):
        listings.append(row)
    path = tmp_path / "w.xlsx"
    book.save(path)
    _with_dimension(path, "xl/worksheets/sheet2.xml", "A1:D3")
    reg = read_registry(workbook=path)
    assert list(reg.listings.index) == ["o1", "n1", "n2"]
    assert list(reg.listings["unit"]) == ["t/yr"] * 3


def test_merged_cells_holding_a_value_are_an_error_naming_sheet_and_range(tmp_path):
    from datetime import datetime

    book, listings = _book()
    listings.append(["o1", "a", "offer", "10 01 05", 1000, "t/yr", datetime(2026, 6, 30), 10])
    listings.append(["o2", "a", "offer", "10 01 05", 1000, "t/yr"])
    listings.append(["n1", "b", "need", "gypsum", 800, "t/yr"])
    listings.merge_cells("G2:G3")
    listings.merge_cells("A5:B5")  # formatting only: no value in it
    path = tmp_path / "w.xlsx"
    book.save(path)
    with pytest.raises(InputError) as info:
        read_registry(workbook=path)
    [problem] = info.value.problems
    assert (problem.table, problem.row) == ("w.xlsx [listings]", 2)
    assert "cells G2:G3 are merged" in problem.reason and "give each row its own value" in problem.reason


def test_a_workbook_whose_merged_cells_hold_no_value_loads(tmp_path):
    book, listings = _book()
    listings.append(["o1", "a", "offer", "10 01 05", 1000, "t/yr"])
    listings.append(["n1", "b", "need", "gypsum", 800, "t/yr"])
    listings.merge_cells("G2:H3")
    book["companies"].merge_cells("F1:G1")
    book.create_sheet("notes")["A1"] = "Notes"
    book["notes"].merge_cells("A1:D1")
    path = tmp_path / "w.xlsx"
    book.save(path)
    assert list(read_registry(workbook=path).listings.index) == ["o1", "n1"]


def _one_company_workbook(path, listings: list[list]) -> None:
    """A workbook (openpyxl) of company 'a' and the ``listings`` rows, header first."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    companies = book.create_sheet("companies")
    companies.append(["company_id", "name", "nace", "lat", "lon"])
    companies.append(["a", "A", "35.11", 55.6, 11.1])
    sheet = book.create_sheet("listings")
    for row in listings:
        sheet.append(row)
    book.save(path)


def test_formulas_without_a_calculated_value_are_errors_naming_the_cell(tmp_path):
    """A workbook written by a program that does not calculate (openpyxl here) holds formulas with no
    value: read for values they were blank, so a minimum lot or a distance limit silently vanished."""
    _one_company_workbook(tmp_path / "f.xlsx", [
        ["listing_id", "company_id", "kind", "material", "quantity", "unit", "max_distance_km", "min_lot"],
        ["a1", "a", "offer", "10 01 05", 150000, "t/yr", "=10*5", "=2*500"]])
    with pytest.raises(InputError) as info:
        read_registry(workbook=tmp_path / "f.xlsx")
    assert [(p.table, p.row, p.column) for p in info.value.problems] == [
        ("f.xlsx [listings]", 2, "max_distance_km"), ("f.xlsx [listings]", 2, "min_lot")]
    assert "=10*5" in info.value.problems[0].reason and "no calculated value" in info.value.problems[0].reason


def test_formulas_with_their_calculated_value_are_read_as_that_value(tmp_path):
    """A formula a spreadsheet calculated (here: XlsxWriter's file with its ask to calculate on
    opening removed, as a spreadsheet saves it) is read as its value; with the ask still there, the
    stored value is a placeholder (XlsxWriter writes 0 unless told) and the cell is an error."""
    import zipfile

    import xlsxwriter

    book = xlsxwriter.Workbook(str(tmp_path / "f.xlsx"))
    companies = book.add_worksheet("companies")
    for r, row in enumerate([["company_id", "name", "nace", "lat", "lon"], ["a", "A", "35.11", 55.6, 11.1]]):
        companies.write_row(r, 0, row)
    listings = book.add_worksheet("listings")
    listings.write_row(0, 0, ["listing_id", "company_id", "kind", "material", "quantity", "unit", "max_distance_km"])
    listings.write_row(1, 0, ["a1", "a", "offer", "10 01 05", 150000, "t/yr"])
    listings.write_formula(1, 6, "=10*5", None, 50)
    book.close()
    with pytest.raises(InputError) as info:
        read_registry(workbook=tmp_path / "f.xlsx")
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "max_distance_km")]
    with zipfile.ZipFile(tmp_path / "f.xlsx") as source, zipfile.ZipFile(tmp_path / "saved.xlsx", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            target.writestr(item, data)
    registry = read_registry(workbook=tmp_path / "saved.xlsx")
    assert registry.listings.loc["a1", "max_distance_km"] == 50


def test_a_utf8_file_with_a_line_in_windows_1252_is_an_error_naming_the_line(tmp_path):
    """Read as Windows-1252 as a whole, the UTF-8 lines' letters were garbled (høj as hÃ¸j)."""
    (tmp_path / "c.csv").write_bytes("company_id,name,nace,lat,lon\nhøj,Højgaard Møller,35.11,55.6,11.1\n".encode()
                                     + "c,Cæsar ApS,23.62,55.61,11.11\n".encode("cp1252"))
    (tmp_path / "l.csv").write_text("listing_id,company_id,kind,material,quantity,unit\n"
                                    "a1,c,offer,10 01 05,150000,t/yr\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_registry(companies=tmp_path / "c.csv", listings=tmp_path / "l.csv")
    [problem] = info.value.problems
    assert (problem.table, problem.row) == ("c.csv", 3) and "not UTF-8 on line 3" in problem.reason
    # A file all in Windows-1252 is still read as such.
    (tmp_path / "c.csv").write_bytes("company_id,name,nace,lat,lon\nc,Cæsar ApS,23.62,55.61,11.11\n".encode("cp1252"))
    assert read_registry(companies=tmp_path / "c.csv", listings=tmp_path / "l.csv").companies.loc["c", "name"] == "Cæsar ApS"


def test_a_date_cell_in_an_id_column_is_an_error_naming_the_cell(tmp_path):
    """Excel turns a typed id such as 3-4 into a date; its ISO text was silently taken as the id."""
    from datetime import datetime

    _one_company_workbook(tmp_path / "d.xlsx", [
        ["listing_id", "company_id", "kind", "material", "quantity", "unit"],
        [datetime(2026, 4, 3), "a", "offer", "10 01 05", 150000, "t/yr"]])
    with pytest.raises(InputError) as info:
        read_registry(workbook=tmp_path / "d.xlsx")
    [problem] = info.value.problems
    assert (problem.table, problem.row, problem.column) == ("d.xlsx [listings]", 2, "listing_id")
    assert "is a date cell (2026-04-03), not an id" in problem.reason
