"""Reading and validating input: every problem reported with row and column, nothing half-read."""

import numpy as np
import pandas as pd
import pytest

from symbiosis.errors import InputError
from symbiosis.registry import read_registry, validate_tables
from symbiosis.schema import COMPANY_COLUMNS, LISTING_COLUMNS
from symbiosis.template import write_template

COMPANIES = """company_id,name,nace,lat,lon
a,Alpha,35.11,55.66,11.08
b,Beta,23.62,55.67,11.10
"""


def _write(tmp_path, companies: str, listings: str):
    (tmp_path / "companies.csv").write_text(companies)
    (tmp_path / "listings.csv").write_text(listings)
    return tmp_path / "companies.csv", tmp_path / "listings.csv"


def test_valid_input_is_converted_to_canonical_yearly_quantities(tmp_path):
    c, l = _write(tmp_path, COMPANIES, "listing_id,company_id,kind,material,quantity,unit\n"
                  "g,a,offer,10 01 05*,1000,kg/month\nn,b,need,Gypsum,10,t/yr\n".replace("*", ""))
    reg = read_registry(companies=c, listings=l)
    assert reg.listings.loc["g", "quantity_canonical"] == pytest.approx(12.0)
    assert reg.listings.loc["g", "material"] == "10 01 05"
    assert reg.listings.loc["n", "material"] == "gypsum"
    assert list(reg.offers.index) == ["g"] and list(reg.needs.index) == ["n"]
    assert reg.listings.loc["n", "lat"] == pytest.approx(55.67)


def test_every_problem_is_listed_with_row_and_column(tmp_path):
    c, l = _write(
        tmp_path,
        COMPANIES + "b,Gamma,99.99,95,11\n",
        "listing_id,company_id,kind,material,quantity,unit,available_from,available_to\n"
        "x,zz,offer,10 01 05,-1,t/yr,,\n"
        "x,a,gift,rubbish,abc,m3/yr,,\n"
        "y,a,need,gypsum,5,t,2026-05-01,2026-01-01\n",
    )
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l)
    found = {(p.table, p.row, p.column) for p in info.value.problems}
    assert found == {
        ("companies.csv", 4, "company_id"), ("companies.csv", 4, "lat"), ("companies.csv", 4, "nace"),
        ("listings.csv", 2, "company_id"), ("listings.csv", 2, "quantity"),
        ("listings.csv", 3, "listing_id"), ("listings.csv", 3, "kind"), ("listings.csv", 3, "material"),
        ("listings.csv", 3, "quantity"),
        ("listings.csv", 4, "unit"), ("listings.csv", 4, "available_to"),
    }
    text = str(info.value)
    assert "'zz' is not a company_id" in text and "'t' is an amount, not a rate" in text


def test_missing_required_columns_and_empty_cells_are_reported(tmp_path):
    c, l = _write(tmp_path, "company_id,name,lat,lon\na,,55,11\n", "listing_id,company_id,kind,material,quantity\n")
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l)
    problems = {(p.row, p.column, p.reason) for p in info.value.problems}
    assert (None, "nace", "required column is missing") in problems
    assert (2, "name", "is empty but required") in problems
    assert (None, "unit", "required column is missing") in problems
    assert (None, None, "has no data rows") in problems


def test_energy_flows_refuse_a_truck(tmp_path):
    c, l = _write(tmp_path, COMPANIES, "listing_id,company_id,kind,material,quantity,unit,transport_mode\n"
                  "s,a,offer,steam,10,MWh/yr,truck\n")
    with pytest.raises(InputError, match="use pipeline"):
        read_registry(companies=c, listings=l)


def test_a_quantity_beyond_the_worlds_yearly_total_is_refused_with_its_row(tmp_path):
    # A wrong unit or digits too many: more than the world handles in a year in any dimension, even
    # when the number itself is finite and only its conversion overflows.
    c, l = _write(tmp_path, COMPANIES, "listing_id,company_id,kind,material,quantity,unit\n"
                  "ok,a,offer,gypsum,100000000,t/yr\n"
                  "big,a,offer,gypsum,200000000000,t/yr\n"
                  "huge,b,need,gypsum,1e300,Mt/yr\n"
                  "water,b,need,cooling-water,5000000000000,m3/yr\n"
                  "heat,a,offer,steam,1e12,MWh/yr\n")
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l)
    assert {(p.row, p.column) for p in info.value.problems} == {(3, "quantity"), (4, "quantity"), (5, "quantity"),
                                                                  (6, "quantity")}
    text = str(info.value)
    assert "1e+306 t a year" in text and "extraction of materials" in text
    assert "freshwater withdrawal" in text and "total energy supply" in text


def test_quantity_limits_come_from_the_data_file_with_a_source():
    from symbiosis.data import read_dataset
    from symbiosis.materials import quantity_limits
    from symbiosis.units import CANONICAL_UNITS

    limits = quantity_limits()
    assert set(limits) == set(CANONICAL_UNITS)
    table = read_dataset("quantity_limits.csv")
    assert (table["source"].str.len() > 20).all()
    assert limits["mass"][0] == float(table.set_index("dimension").loc["mass", "max_per_year"])


def test_unknown_columns_are_ignored_with_a_notice(tmp_path):
    c, l = _write(tmp_path, COMPANIES.replace("lon\n", "lon,contact\n").replace("11.08\n", "11.08,Ann\n").replace("11.10\n", "11.10,Bo\n"),
                  "listing_id,company_id,kind,material,quantity,unit\ns,a,offer,steam,10,MWh/yr\n")
    reg = read_registry(companies=c, listings=l)
    assert any("contact" in n for n in reg.notices)


def test_a_column_with_values_but_no_header_is_named_in_a_notice(tmp_path):
    c, l = _write(tmp_path, COMPANIES, "listing_id,company_id,kind,material,quantity,unit,\n"
                  "s,a,offer,steam,10,MWh/yr,call Ann first\nn,b,need,steam,5,MWh/yr,\n")
    reg = read_registry(companies=c, listings=l)
    assert any("ignored column(s) 7" in n and "no header" in n for n in reg.notices)
    c, l = _write(tmp_path, COMPANIES, "listing_id,company_id,kind,material,quantity,unit,\n"
                  "s,a,offer,steam,10,MWh/yr,\n")
    assert not any("no header" in n for n in read_registry(companies=c, listings=l).notices)


def test_a_waste_code_that_lost_its_leading_zero_is_refused_with_the_code_it_may_be(tmp_path):
    c, l = _write(tmp_path, COMPANIES, "listing_id,company_id,kind,material,quantity,unit\n"
                  "o,a,offer,20101,10,t/yr\nn,b,need,99999,5,t/yr\n")
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l)
    reasons = {p.row: p.reason for p in info.value.problems}
    assert "if you meant the waste code 02 01 01" in reasons[2]
    assert "leading zero" not in reasons[3]  # 09 99 99 is no code: no guess offered


def test_a_column_given_twice_in_a_table_built_in_code_is_an_error():
    from symbiosis.registry import validate_tables

    companies = pd.DataFrame({"company_id": ["a"], "name": ["A"], "nace": ["35.11"], "lat": [55.6], "lon": [11.1]})
    listings = pd.DataFrame({"listing_id": ["g"], "company_id": ["a"], "kind": ["offer"], "material": ["gypsum"],
                             "quantity": [100], "unit": ["t/yr"]})
    twice = pd.concat([listings, pd.DataFrame({"quantity": [5]})], axis=1)
    with pytest.raises(InputError, match="column 'quantity' appears 2 times"):
        validate_tables(companies, twice)


def test_missing_file_is_an_input_error_naming_it(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_registry(companies=tmp_path / "nope.csv", listings=tmp_path / "nope2.csv")


def test_workbook_input_reads_the_two_sheets_and_names_sheet_rows(tmp_path):
    path = tmp_path / "w.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"company_id": ["a", "b"], "name": ["A", "B"], "nace": ["35.11", "23.62"],
                      "lat": [55.66, 55.67], "lon": [11.08, 11.1]}).to_excel(writer, sheet_name="companies", index=False)
        pd.DataFrame({"listing_id": ["g", "n"], "company_id": ["a", "b"], "kind": ["offer", "need"],
                      "material": ["10 01 05", "gypsum"], "quantity": [100, "lots"], "unit": ["t/yr", "t/yr"]}
                     ).to_excel(writer, sheet_name="listings", index=False)
    with pytest.raises(InputError) as info:
        read_registry(workbook=path)
    [problem] = info.value.problems
    assert (problem.table, problem.row, problem.column) == ("w.xlsx [listings]", 3, "quantity")


def test_workbook_without_listings_sheet_is_reported(tmp_path):
    path = tmp_path / "w.xlsx"
    pd.DataFrame({"company_id": ["a"]}).to_excel(path, sheet_name="companies", index=False)
    with pytest.raises(InputError, match="no sheet named 'listings'"):
        read_registry(workbook=path)


def test_template_has_every_schema_column_and_explains_it(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets["companies"].columns) == [c.name for c in COMPANY_COLUMNS]
    assert list(sheets["listings"].columns) == [c.name for c in LISTING_COLUMNS]
    guide = sheets["columns"]
    assert len(guide) == len(COMPANY_COLUMNS) + len(LISTING_COLUMNS)
    assert guide["description"].notna().all()
    assert "steam" in set(sheets["materials"]["material_id"])


def test_shipped_template_matches_the_schema():
    from symbiosis.data import dataset_path

    sheets = pd.read_excel(dataset_path("template.xlsx"), sheet_name=None)
    assert list(sheets["listings"].columns) == [c.name for c in LISTING_COLUMNS]
    assert list(sheets["companies"].columns) == [c.name for c in COMPANY_COLUMNS]


def test_a_typed_cell_holding_an_array_is_named_not_a_crash():
    companies = pd.DataFrame({"company_id": ["c1"], "name": ["A"], "lat": [55.0], "lon": [11.0]})
    listings = pd.DataFrame({"listing_id": ["l1", "l2"], "company_id": ["c1", "c1"], "kind": ["offer", "need"],
                             "material": ["10 01 02", "10 01 02"], "quantity": pd.Series([np.array([1.0, 2.0]), 5.0],
                                                                                        dtype=object),
                             "unit": ["t/yr", "t/yr"]})
    with pytest.raises(InputError) as error:
        validate_tables(companies, listings)
    assert "quantity" in str(error.value) and "is not a number" in str(error.value)


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_repeated_column_in_a_file_or_sheet_is_an_error_not_a_silent_choice(tmp_path, form):
    """A second 'quantity' column is not ignored (the reader renames it quantity.1): which one is
    meant is the user's to say."""
    import openpyxl

    from symbiosis.registry import read_registry

    companies = [["company_id", "name", "nace", "lat", "lon"], ["a", "A", "35.11", 55.6, 11.1]]
    listings = [["listing_id", "company_id", "kind", "material", "quantity", "unit", "quantity"],
                ["a1", "a", "offer", "10 01 05", 150000, "t/yr", 5]]
    if form == "csv":
        for name, rows in (("c", companies), ("l", listings)):
            (tmp_path / f"{name}.csv").write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")
        paths = {"companies": tmp_path / "c.csv", "listings": tmp_path / "l.csv"}
    else:
        book = openpyxl.Workbook()
        book.remove(book.active)
        for name, rows in (("companies", companies), ("listings", listings)):
            sheet = book.create_sheet(name)
            for row in rows:
                sheet.append(row)
        book.save(tmp_path / "region.xlsx")
        paths = {"workbook": tmp_path / "region.xlsx"}
    with pytest.raises(InputError) as info:
        read_registry(**paths)
    assert [(p.column, p.reason) for p in info.value.problems] == [
        ("quantity", "column 'quantity' appears 2 times: keep one")]


def test_a_hazardous_code_without_its_star_is_read_with_a_notice(tmp_path):
    (tmp_path / "c.csv").write_text("company_id,name,nace,lat,lon\na,A,35.11,55.6,11.1\n")
    (tmp_path / "l.csv").write_text("listing_id,company_id,kind,material,quantity,unit\n"
                                    "a1,a,offer,13 02 05,10,t/yr\na2,a,offer,13 02 05*,10,t/yr\n"
                                    "a3,a,offer,10 01 05,10,t/yr\n")
    registry = read_registry(companies=tmp_path / "c.csv", listings=tmp_path / "l.csv")
    assert registry.listings.loc["a1", "material"] == registry.listings.loc["a2", "material"] == "13 02 05"
    [notice] = [n for n in registry.notices if "without its star" in n]
    assert "1 listing(s)" in notice and "row 2: '13 02 05' is 13 02 05*" in notice


def test_a_material_class_written_by_its_english_or_danish_name_is_read_as_that_class_with_a_notice(tmp_path):
    (tmp_path / "c.csv").write_text("company_id,name,nace,lat,lon\na,A,35.11,55.6,11.1\n", encoding="utf-8")
    (tmp_path / "l.csv").write_text("listing_id,company_id,kind,material,quantity,unit\n"
                                    "a1,a,need,Gips,10,t/yr\na2,a,offer,process steam,10,MWh/yr\n"
                                    "a3,a,offer,Tilslagsmaterialer,10,t/yr\n", encoding="utf-8")
    registry = read_registry(companies=tmp_path / "c.csv", listings=tmp_path / "l.csv")
    assert registry.listings["material"].tolist() == ["gypsum", "steam", "aggregates"]
    [notice] = [n for n in registry.notices if "by its name" in n]
    assert "3 listing(s)" in notice and "'Gips' is the class 'gypsum'" in notice
    # a name that is no class's own (or two classes') is still an error with the closest materials
    (tmp_path / "l.csv").write_text("listing_id,company_id,kind,material,quantity,unit\na1,a,need,Gipsplader,10,t/yr\n",
                                    encoding="utf-8")
    with pytest.raises(InputError, match="Gipsplader"):
        read_registry(companies=tmp_path / "c.csv", listings=tmp_path / "l.csv")


def test_a_danish_sheet_s_words_for_kind_mode_and_a_double_class_name_are_read(tmp_path):
    (tmp_path / "c.csv").write_text("company_id,name,nace,lat,lon\na,A,35.11,55.6,11.1\n", encoding="utf-8")
    (tmp_path / "l.csv").write_text("listing_id,company_id,kind,material,quantity,unit,transport_mode\n"
                                    "a1,a,Behov,Varmt vand,10,MWh/år,\na2,a,udbud,10 01 05,10,t/år,Lastbil\n"
                                    "a3,a,tilbud,fjernvarmevand,10,MWh/år,rørledning\n", encoding="utf-8")
    listings = read_registry(companies=tmp_path / "c.csv", listings=tmp_path / "l.csv").listings
    assert listings["kind"].tolist() == ["need", "offer", "offer"]
    assert listings["transport_mode"].tolist() == ["", "truck", "pipeline"]
    assert listings["material"].tolist() == ["hot-water", "10 01 05", "hot-water"]


@pytest.mark.parametrize(("unit", "price", "per_canonical"), [
    ("t/yr", -95.5, -95.5), ("t/md", -95.5, -95.5), ("t/uge", -95.5, -95.5), ("kg/md", -0.0955, -95.5),
    ("kg/yr", -0.0955, -95.5)])
def test_a_price_per_unit_is_per_unit_of_the_amount_whatever_the_period(unit, price, per_canonical):
    """450 t/md at -95.5 EUR per t earns 95.5 EUR per t, as 5,400 t/yr does: the period scales the
    quantity, not the price (it was divided by 12 as well)."""
    companies = pd.DataFrame([{"company_id": "a", "name": "A", "nace": "35.11", "lat": 55.6, "lon": 11.1}])
    listings = pd.DataFrame([
        {"listing_id": "o", "company_id": "a", "kind": "offer", "material": "10 01 05", "quantity": 450,
         "unit": unit, "disposal_eur_per_unit": price},
        {"listing_id": "n", "company_id": "a", "kind": "need", "material": "gypsum", "quantity": 10, "unit": unit,
         "price_eur_per_unit": -price}])
    registry = validate_tables(companies, listings)
    assert registry.listings.loc["o", "disposal_eur_per_canonical"] == pytest.approx(per_canonical)
    assert registry.listings.loc["n", "price_eur_per_canonical"] == pytest.approx(-per_canonical)


def test_a_price_per_unit_of_a_power_is_per_megawatt_hour():
    companies = pd.DataFrame([{"company_id": "a", "name": "A", "nace": "35.11", "lat": 55.6, "lon": 11.1}])
    listings = pd.DataFrame([{"listing_id": "n", "company_id": "a", "kind": "need", "material": "hot-water",
                              "quantity": 2, "unit": "MW", "price_eur_per_unit": 50}])
    registry = validate_tables(companies, listings)
    assert registry.listings.loc["n", "quantity_canonical"] == pytest.approx(2 * 8766)
    assert registry.listings.loc["n", "price_eur_per_canonical"] == pytest.approx(50)


def test_a_coordinate_read_as_thousands_in_the_file_s_notation_says_so(tmp_path):
    (tmp_path / "c.csv").write_text("company_id;name;nace;lat;lon\na;A;35.11;55.558;11,1\n")
    (tmp_path / "l.csv").write_text("listing_id;company_id;kind;material;quantity;unit\na1;a;offer;10 01 05;1500;t/yr\n")
    with pytest.raises(InputError) as info:
        read_registry(companies=tmp_path / "c.csv", listings=tmp_path / "l.csv", locale="da")
    [problem] = info.value.problems
    assert problem.column == "lat" and problem.reason.startswith("'55.558' reads as 55558 in Danish notation")
