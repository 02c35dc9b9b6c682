"""Numbers in Danish and English notation: no silent misreading of thousands separators."""

import pandas as pd
import pytest

from symbiosis.errors import InputError
from symbiosis.numbers import check_locale, detect_locale, parse_number, readings
from symbiosis.registry import read_registry, validate_tables

COMPANIES = "company_id,name,nace,lat,lon\na,Alpha,35.11,55.66,11.08\nb,Beta,23.62,55.67,11.10\n"


@pytest.mark.parametrize(
    ("text", "da", "en"),
    [("30,000", 30.0, 30000.0), ("30.000", 30000.0, 30.0), ("1,5", 1.5, 15.0), ("1.234,5", 1234.5, None),
     ("1,234.5", None, 1234.5), ("55.6626", None, 55.6626), ("1 000", 1000.0, 1000.0), ("1e-05", 1e-05, 1e-05)],
)
def test_each_cell_is_read_in_both_notations(text, da, en):
    r = readings(text)
    assert (r.da, r.en) == (da, en)


@pytest.mark.parametrize(("text", "first", "second"), [("30,000", "30", "30000"), ("30.000", "30000", "30"), ("1,5", "1.5", "15")])
def test_ambiguous_numbers_without_a_locale_are_errors_naming_both_readings(text, first, second):
    with pytest.raises(ValueError) as info:
        parse_number(text, None)
    message = str(info.value)
    assert f"reads as {first} in Danish notation and as {second} in English notation" in message


@pytest.mark.parametrize(
    ("text", "locale", "value"),
    [("30,000", "en", 30000.0), ("30,000", "da", 30.0), ("30.000", "da", 30000.0), ("30.000", "en", 30.0),
     ("1,5", "da", 1.5), ("1.234,5", "da", 1234.5), ("1,234.5", "en", 1234.5), ("55.6626", "da", 55.6626)],
)
def test_a_declared_locale_decides(text, locale, value):
    assert parse_number(text, locale) == pytest.approx(value)


def test_a_number_foreign_to_the_declared_locale_is_refused_with_its_other_reading():
    with pytest.raises(ValueError, match="not a number in English notation; in Danish notation it reads 1.5"):
        parse_number("1,5", "en")
    with pytest.raises(ValueError, match="not a number in Danish notation"):
        parse_number("1,234.5", "da")


def test_locale_detection_needs_cells_that_prove_it_and_agree():
    assert detect_locale(["1.234,5", "7", "30.000"]) == "da"
    assert detect_locale(["1,234.5", "2"]) == "en"
    assert detect_locale(["1.234.567"]) == "da"
    assert detect_locale(["1.234,5", "1,234.5"]) is None
    assert detect_locale(["30,000", "1,5"]) is None


def test_locale_names():
    assert check_locale("DA") == "da" and check_locale("en-GB") == "en" and check_locale("") is None
    with pytest.raises(ValueError, match="not one of da, en"):
        check_locale("fr")


def _files(tmp_path, listings):
    (tmp_path / "c.csv").write_text(COMPANIES)
    (tmp_path / "l.csv").write_text(listings)
    return tmp_path / "c.csv", tmp_path / "l.csv"


@pytest.mark.parametrize("quantity", ["30,000", "30.000", "1,5"])
def test_ambiguous_quantity_in_a_file_without_locale_is_a_row_error(tmp_path, quantity):
    c, l = _files(tmp_path, f'listing_id,company_id,kind,material,quantity,unit\ng,a,offer,gypsum,"{quantity}",t/yr\n')
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l)
    [problem] = info.value.problems
    assert (problem.table, problem.row, problem.column) == ("l.csv", 2, "quantity")
    assert "Danish notation" in problem.reason and "English notation" in problem.reason


@pytest.mark.parametrize(("quantity", "locale", "value"), [("30,000", "en", 30000), ("30.000", "da", 30000), ("1,5", "da", 1.5)])
def test_declared_locale_reads_quantities_right(tmp_path, quantity, locale, value):
    c, l = _files(tmp_path, f'listing_id,company_id,kind,material,quantity,unit\ng,a,offer,gypsum,"{quantity}",t/yr\n')
    reg = read_registry(companies=c, listings=l, locale=locale)
    assert reg.listings.loc["g", "quantity"] == pytest.approx(value)


def test_a_file_whose_cells_prove_danish_reads_its_ambiguous_cells_as_danish(tmp_path):
    c, l = _files(tmp_path, 'listing_id,company_id,kind,material,quantity,unit\n'
                  'g,a,offer,gypsum,"30.000",t/yr\nh,b,need,gypsum,"1.234,5",t/yr\n')
    reg = read_registry(companies=c, listings=l)
    assert reg.listings.loc["g", "quantity"] == 30000
    assert any("Danish notation" in n for n in reg.notices)


def test_coordinates_with_three_decimals_are_not_ambiguous():
    comp = pd.DataFrame({"company_id": ["a"], "name": ["A"], "nace": ["35.11"], "lat": ["55.662"], "lon": ["11.081"]})
    lst = pd.DataFrame({"listing_id": ["g"], "company_id": ["a"], "kind": ["offer"], "material": ["gypsum"],
                        "quantity": ["5"], "unit": ["t/yr"]})
    reg = validate_tables(comp, lst, locale="detect")
    assert reg.companies.loc["a", "lat"] == pytest.approx(55.662)


def test_workbook_numeric_cells_are_numbers_and_the_settings_sheet_declares_the_locale(tmp_path):
    path = tmp_path / "w.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"company_id": ["a"], "name": ["A"], "nace": ["35.11"], "lat": [55.66], "lon": [11.08]}
                     ).to_excel(writer, sheet_name="companies", index=False)
        pd.DataFrame({"listing_id": ["g", "h"], "company_id": ["a", "a"], "kind": ["offer", "offer"],
                      "material": ["gypsum", "10 01 05"], "quantity": [1.234, "30.000"], "unit": ["t/yr", "t/yr"]}
                     ).to_excel(writer, sheet_name="listings", index=False)
        pd.DataFrame({"setting": ["locale"], "value": ["da"]}).to_excel(writer, sheet_name="settings", index=False)
    reg = read_registry(workbook=path)
    assert reg.listings.loc["g", "quantity"] == pytest.approx(1.234)  # a number cell, not Danish 1234
    assert reg.listings.loc["h", "quantity"] == pytest.approx(30000)  # a text cell, read as Danish


def test_a_bad_locale_setting_names_the_sheet_row(tmp_path):
    path = tmp_path / "w.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"company_id": ["a"]}).to_excel(writer, sheet_name="companies", index=False)
        pd.DataFrame({"listing_id": ["g"]}).to_excel(writer, sheet_name="listings", index=False)
        pd.DataFrame({"setting": ["locale"], "value": ["fr"]}).to_excel(writer, sheet_name="settings", index=False)
    with pytest.raises(InputError) as info:
        read_registry(workbook=path)
    [problem] = info.value.problems
    assert (problem.table, problem.row, problem.column) == ("w.xlsx [settings]", 2, "value")


@pytest.mark.parametrize(("text", "value"), [("0.125", 0.125), ("0,125", 0.125), ("0,5", 0.5), ("-0.375", -0.375)])
def test_a_leading_zero_is_never_a_thousands_group(text, value):
    assert parse_number(text, None) == pytest.approx(value)


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1e999"])
def test_non_finite_text_is_a_row_error(text):
    comp = pd.DataFrame({"company_id": ["a"], "name": ["A"], "nace": ["35.11"], "lat": ["55.6"], "lon": ["11.0"]})
    lst = pd.DataFrame({"listing_id": ["g"], "company_id": ["a"], "kind": ["offer"], "material": ["gypsum"],
                        "quantity": [text], "unit": ["t/yr"]})
    with pytest.raises(InputError) as info:
        validate_tables(comp, lst)
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (2, "quantity") and "not a number" in problem.reason


def test_tables_built_in_code_are_english_unless_told_to_detect():
    comp = pd.DataFrame({"company_id": ["a"], "name": ["A"], "nace": ["35.11"], "lat": ["55.6"], "lon": ["11.0"]})
    lst = pd.DataFrame({"listing_id": ["g"], "company_id": ["a"], "kind": ["offer"], "material": ["gypsum"],
                        "quantity": ["46.286"], "unit": ["t/yr"]})
    assert validate_tables(comp, lst).listings.loc["g", "quantity"] == pytest.approx(46.286)
    with pytest.raises(InputError, match="reads as 46286 in Danish"):
        validate_tables(comp, lst, locale="detect")
    assert validate_tables(comp, lst, locale="da").listings.loc["g", "quantity"] == pytest.approx(46286)


def test_danish_thousands_in_a_table_built_in_code_are_refused_unless_the_locale_is_given():
    # pd.read_csv(dtype=str) of a Danish file: "150.000" is no float a program writes, so it is not
    # silently read as 150 t; with the locale it is read as the file meant.
    from solvers import match

    comp = pd.DataFrame({"company_id": ["a", "b"], "name": ["A", "B"], "nace": ["35.11", "23.62"],
                         "lat": ["55.6", "55.61"], "lon": ["11.0", "11.01"]})
    lst = pd.DataFrame({"listing_id": ["g", "n"], "company_id": ["a", "b"], "kind": ["offer", "need"],
                        "material": ["10 01 05", "gypsum"], "quantity": ["150.000", "2.500"], "unit": ["t/yr", "t/yr"]})
    with pytest.raises(InputError) as info:
        match(comp, lst)
    assert {(p.row, p.column) for p in info.value.problems} == {(2, "quantity"), (3, "quantity")}
    assert "reads as 150000 in Danish notation and as 150 in English" in str(info.value)
    assert match(comp, lst, locale="da").exchanges["quantity"].tolist() == [pytest.approx(2500)]
    assert match(comp, lst, locale="en").exchanges["quantity"].tolist() == [pytest.approx(2.5)]


def test_missing_values_in_a_string_column_are_empty_cells():
    comp = pd.DataFrame({"company_id": ["a", "b"], "name": ["A", "B"], "nace": ["35.11", "35.11"],
                         "lat": pd.array(["55.6", None], dtype="string"), "lon": ["11.0", "11.1"]})
    lst = pd.DataFrame({"listing_id": ["g"], "company_id": ["a"], "kind": ["offer"], "material": ["gypsum"],
                        "quantity": ["5"], "unit": ["t/yr"]})
    with pytest.raises(InputError) as info:
        validate_tables(comp, lst)
    [problem] = info.value.problems
    assert (problem.row, problem.column, problem.reason) == (3, "lat", "is empty but required")


@pytest.mark.parametrize(
    ("text", "locale", "value"),
    [("1 000", None, 1000.0), ("1 234 567", None, 1234567.0), ("100 150", None, 100150.0),
     ("-1 000", None, -1000.0), ("1\u00a0234,5", "da", 1234.5), ("1\u202f234.5", "en", 1234.5),
     ("12 345 678,25", "da", 12345678.25), (" 1 000 ", "en", 1000.0)],
)
def test_spaces_that_group_thousands_are_joined(text, locale, value):
    assert parse_number(text, locale) == pytest.approx(value)


@pytest.mark.parametrize(
    "text", ["12 5", "1 2345", "1234 567", "0 123", "1 000 00", "1,234 567", "1,5 5", "1\t000", "1\u2009234", "1'234"],
)
@pytest.mark.parametrize("locale", [None, "da", "en"])
def test_spaces_that_are_no_thousands_grouping_are_errors_naming_the_cell(text, locale):
    with pytest.raises(ValueError) as info:
        parse_number(text, locale)
    message = str(info.value)
    assert message.startswith(f"{text!r} is not a number") and "group thousands" in message
    assert readings(text) == readings("no number")


def test_a_quantity_with_a_stray_space_is_a_row_error_naming_the_cell(tmp_path):
    c, l = _files(tmp_path, 'listing_id,company_id,kind,material,quantity,unit\n'
                  'g,a,offer,gypsum,100 000,t/yr\nh,b,need,gypsum,12 5,t/yr\n')
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l, locale="da")
    [problem] = info.value.problems
    assert (problem.table, problem.row, problem.column) == ("l.csv", 3, "quantity")
    assert "'12 5' is not a number" in problem.reason


@pytest.mark.parametrize("text", ["1,234,5", "5,10,15", "12,3456,789"])
def test_commas_that_neither_group_threes_nor_mark_decimals_are_refused_without_a_locale(text):
    """Read as English they were silently 12345 or 51015; a file declared English refuses them too."""
    with pytest.raises(ValueError, match="commas group thousands in threes"):
        parse_number(text, None)
    with pytest.raises(ValueError):
        parse_number(text, "en")


def test_such_a_cell_in_a_file_is_an_error_naming_row_and_column(tmp_path):
    from symbiosis.errors import InputError
    from symbiosis.registry import read_registry

    (tmp_path / "c.csv").write_text("company_id,name,nace,lat,lon\na,A,35.11,55.6,11.1\n")
    (tmp_path / "l.csv").write_text('listing_id,company_id,kind,material,quantity,unit,max_distance_km\n'
                                    'a1,a,offer,10 01 05,"1,234,5",t/yr,"5,10,15"\n')
    with pytest.raises(InputError) as info:
        read_registry(companies=tmp_path / "c.csv", listings=tmp_path / "l.csv")
    assert {(p.row, p.column) for p in info.value.problems} == {(2, "quantity"), (2, "max_distance_km")}
