"""Files as real spreadsheets write them: Danish CSV, cp1252, blank rows, Danish dates, NACE forms."""

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


def test_workbook_with_a_repeated_header_is_read_with_a_notice(tmp_path):
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
    reg = read_registry(workbook=tmp_path / "w.xlsx")
    assert reg.companies.loc["a", "name"] == "A" and any("name.1" in n for n in reg.notices)
