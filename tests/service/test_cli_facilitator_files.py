"""The command line with a facilitator's own files: Danish spreadsheets in, a workbook and Excel CSVs out."""

import openpyxl
import pandas as pd
from typer.testing import CliRunner

from service.cli import app
from service.files import kalundborg_paths

runner = CliRunner()

COMPANIES = (
    "company_id;name;nace;lat;lon;municipality\n"
    "fynsværk;Fynsværket;3511;55,40;10,40;Odense\n"
    "cementfabrik;Cementfabrik Ålborg;235100;55,41;10,42;Odense\n"
)
LISTINGS = (
    "listing_id;company_id;kind;material;quantity;unit\n"
    "flyveaske;fynsværk;offer;10 01 02;30.000;t/år\n"
    "råmel;cementfabrik;need;cement-raw-material;2.500;t/md\n"
)


def _files(tmp_path):
    (tmp_path / "virksomheder.csv").write_bytes(COMPANIES.encode("cp1252"))
    (tmp_path / "opslag.csv").write_bytes(LISTINGS.encode("cp1252"))
    return ["--companies", str(tmp_path / "virksomheder.csv"), "--listings", str(tmp_path / "opslag.csv")]


def test_a_danish_file_with_its_locale_is_matched_and_written_for_danish_excel(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["match", *_files(tmp_path), "--locale", "da", "--danish-csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    raw = (out / "exchanges.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark: Excel reads æøå
    exchanges = pd.read_csv(out / "exchanges.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert exchanges["offer_id"].tolist() == ["flyveaske"] and exchanges["quantity"].iloc[0] == 30_000
    # the sentences' numbers are in the file's notation too (1.234,5), and rule ids and codes keep theirs
    assert "diverts 30.000,0 t of waste" in exchanges["explanation"].iloc[0]
    assert "10 01 02 serves a need" in exchanges["explanation"].iloc[0]
    book = openpyxl.load_workbook(out / "results.xlsx")
    assert {"exchanges", "unmatched", "indicators"} <= set(book.sheetnames)
    header = [c.value for c in book["exchanges"][1]]
    row = dict(zip(header, [c.value for c in book["exchanges"][2]]))
    assert row["supplier"] == "Fynsværket" and row["receiver"] == "Cementfabrik Ålborg" and row["unit"] == "t/år"


def test_coordinates_with_a_decimal_comma_show_the_file_is_danish(tmp_path):
    result = runner.invoke(app, ["match", *_files(tmp_path), "--json", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "the coordinates are valid only so" in result.output
    exchanges = pd.read_csv(tmp_path / "out" / "exchanges.csv", encoding="utf-8-sig")
    assert exchanges["quantity"].iloc[0] == 30_000


def test_an_ambiguous_number_without_a_locale_is_bad_input(tmp_path):
    (tmp_path / "maps.csv").write_text(COMPANIES.replace("55,40;10,40", "55.40;10.40").replace("55,41;10,42", "55.41;10.42"))
    files = _files(tmp_path)
    files[1] = str(tmp_path / "maps.csv")  # coordinates pasted from a map prove no locale
    result = runner.invoke(app, ["match", *files, "--out", str(tmp_path / "out")])
    assert result.exit_code == 3
    text = " ".join(result.output.split())
    assert "opslag.csv" in text and "quantity" in text and "30.000" in text
    assert not (tmp_path / "out").exists()


def test_the_results_workbook_names_companies_and_gives_reasons(tmp_path):
    paths = kalundborg_paths()
    out = tmp_path / "out"
    result = runner.invoke(app, ["match", "--companies", str(paths["companies"]), "--listings", str(paths["listings"]),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    unmatched = pd.read_excel(out / "results.xlsx", sheet_name="unmatched")
    assert unmatched["reason"].str.len().gt(10).all() and unmatched["company"].str.len().gt(0).all()
    assert {"quantity", "unit"} <= set(unmatched.columns)


def test_materials_search_suggests_codes_for_fly_ash():
    result = runner.invoke(app, ["materials", "search", "fly ash", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "10 01 02" in result.output and "Coal fly ash" in result.output


def test_hazardous_codes_keep_their_star_in_every_result_file(tmp_path):
    (tmp_path / "companies.csv").write_text(
        "company_id,name,nace,lat,lon,municipality\n"
        "garage,Garage,45.20,55.40,10.40,Odense\n"
        "cement,Cement works,23.51,55.41,10.42,Odense\n"
        "depot,Oil depot,46.71,55.42,10.43,Odense\n", encoding="utf-8")
    (tmp_path / "listings.csv").write_text(
        "listing_id,company_id,kind,material,quantity,unit\n"
        "used-oil,garage,offer,13 02 05*,100,t/yr\n"
        "kiln-fuel,cement,need,liquid-fuel,100,t/yr\n"
        "clinical,depot,offer,18 01 03*,10,t/yr\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["match", "--companies", str(tmp_path / "companies.csv"),
                                 "--listings", str(tmp_path / "listings.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "13 02 05* -> liquid-fuel" in " ".join(result.output.split())  # the terminal table too
    assert "18 01 03*" in result.output
    exchanges = pd.read_csv(out / "exchanges.csv", encoding="utf-8-sig", dtype=str)
    assert exchanges["material"].tolist() == ["13 02 05*"] and exchanges["need_material"].tolist() == ["liquid-fuel"]
    assert "13 02 05* serves a need for liquid-fuel" in exchanges["explanation"].iloc[0]
    # the rule's conditions travel with the proposal: what the receiver must check first
    assert " Conditions: " in exchanges["explanation"].iloc[0] and "PCB" in exchanges["explanation"].iloc[0]
    unmatched = pd.read_csv(out / "unmatched.csv", encoding="utf-8-sig", dtype=str)
    assert unmatched.set_index("listing_id").loc["clinical", "material"] == "18 01 03*"
    book = openpyxl.load_workbook(out / "results.xlsx")
    for sheet, expected in (("exchanges", "13 02 05*"), ("unmatched", "18 01 03*")):
        header = [c.value for c in book[sheet][1]]
        assert book[sheet].cell(2, header.index("material") + 1).value == expected
