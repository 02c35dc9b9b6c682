"""Directive and weight files: numbers read in the listings' locale, blank rows skipped."""

import pandas as pd
import pytest

from symbiosis.directives import read_directives, read_weights
from symbiosis.errors import InputError
from tests.helpers import make_registry

HEADER = "action,offer_id,need_id,supplier_id,receiver_id,min_quantity\n"


@pytest.fixture(scope="module")
def registry():
    return make_registry([("s", 55.60, 9.50), ("r", 55.601, 9.501)], [
        ("o1", "s", "offer", "gypsum", 5000, "t/yr"),
        ("n1", "r", "need", "gypsum", 2000, "t/yr"),
        ("n2", "r", "need", "gypsum", 4000, "t/yr"),
    ])


def _file(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("quantity", "locale", "value"),
    [("1.500", "da", 1500.0), ("1.500", "en", 1.5), ('"0,5"', "da", 0.5), ('"1.234,5"', "da", 1234.5),
     ('"1,500"', "en", 1500.0), ('"1,5"', "da", 1.5), ("1 500", "da", 1500.0), ("2.5", None, 2.5),
     ('"0,5"', None, 0.5), ("", "da", 0.0)],
)
def test_min_quantity_is_read_in_the_declared_locale(tmp_path, registry, quantity, locale, value):
    path = _file(tmp_path, HEADER + f"lock,o1,n2,,,{quantity}\n")
    locks = read_directives(path, registry, locale=locale).locks
    assert locks["min_quantity"].tolist() == [pytest.approx(value)]


@pytest.mark.parametrize(("quantity", "danish", "english"), [("1.500", "1500", "1.5"), ('"1,500"', "1.5", "1500")])
def test_an_ambiguous_min_quantity_without_a_locale_is_a_row_error_naming_both_readings(tmp_path, registry, quantity,
                                                                                       danish, english):
    path = _file(tmp_path, HEADER + "forbid,,,s,r,\n" + f"lock,o1,n2,,,{quantity}\n")
    with pytest.raises(InputError) as info:
        read_directives(path, registry)
    [problem] = info.value.problems
    assert (problem.table, problem.row, problem.column) == ("d.csv", 3, "min_quantity")
    assert f"reads as {danish} in Danish notation and as {english} in English notation" in problem.reason


@pytest.mark.parametrize(("quantity", "locale", "reason"),
                         [('"1,5"', "en", "not a number in English notation"), ("-3", "da", "not a non-negative number"),
                          ("lots", "da", "'lots' is not a number"), ("12 5", "da", "'12 5' is not a number")])
def test_a_bad_min_quantity_is_a_row_error(tmp_path, registry, quantity, locale, reason):
    path = _file(tmp_path, HEADER + f"lock,o1,n2,,,{quantity}\n")
    with pytest.raises(InputError) as info:
        read_directives(path, registry, locale=locale)
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (2, "min_quantity") and reason in problem.reason


def test_a_table_built_in_code_is_in_english_notation(registry):
    locks = read_directives(pd.DataFrame([{"action": "lock", "offer_id": "o1", "need_id": "n2", "min_quantity": "1.125"},
                                          {"action": "lock", "offer_id": "o1", "need_id": "n1", "min_quantity": 2.5}]),
                            registry).locks
    assert locks["min_quantity"].tolist() == [pytest.approx(1.125), pytest.approx(2.5)]


@pytest.mark.parametrize("blank", ["\n", ",,,,,\n", ";;;;;\n", " , ,,,,\n"])
def test_blank_rows_are_skipped_and_later_rows_keep_their_numbers(tmp_path, registry, blank):
    separator = ";" if ";" in blank else ","
    lines = [HEADER, "lock,o1,n1,,,\n", blank, "lock,o1,no-such-need,,,\n", blank]
    path = _file(tmp_path, "".join(line if line is blank else line.replace(",", separator) for line in lines))
    with pytest.raises(InputError) as info:
        read_directives(path, registry)
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (4, "need_id") and "'no-such-need' is not a listing_id" in problem.reason
    good = _file(tmp_path, "".join(line if line is blank else line.replace(",", separator) for line in lines[:3]), "ok.csv")
    assert read_directives(good, registry).locks["need_id"].tolist() == ["n1"]


def test_a_row_with_text_only_in_another_column_is_not_blank(tmp_path, registry):
    path = _file(tmp_path, "action,offer_id,need_id,note\nlock,o1,n1,\n,,,keep this in mind\n")
    with pytest.raises(InputError) as info:
        read_directives(path, registry)
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (3, "action")


def test_weights_are_read_in_the_declared_locale_and_blank_rows_skipped(tmp_path):
    path = _file(tmp_path, 'kind,name,weight\nindicator,waste_t,"1,5"\n\nindicator,co2e_t,1.250\n,,\n', "w.csv")
    weights = read_weights(path, locale="da")
    assert weights.indicators == {"waste_t": pytest.approx(1.5), "co2e_t": pytest.approx(1250.0)}
    with pytest.raises(InputError) as info:
        read_weights(path)
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "weight"), (4, "weight")]
    assert "reads as 1250 in Danish notation and as 1.25 in English notation" in info.value.problems[1].reason


def test_ids_typed_as_numbers_match_as_the_listings_ids_do():
    # A table built in code: numeric ids, floats where the column has gaps (10.0 is 10).
    from symbiosis.registry import validate_tables

    companies = pd.DataFrame({"company_id": [1, 2], "name": ["A", "B"], "nace": ["35.11", "23.62"],
                              "lat": [55.6, 55.61], "lon": [11.1, 11.11]})
    listings = pd.DataFrame({"listing_id": [10, 11], "company_id": [1, 2], "kind": ["offer", "need"],
                             "material": ["10 01 05", "gypsum"], "quantity": [100, 100], "unit": ["t/yr", "t/yr"]})
    registry = validate_tables(companies, listings)
    directives = read_directives(pd.DataFrame([{"action": "forbid", "offer_id": 10, "need_id": 11},
                                               {"action": "forbid", "supplier_id": 1, "receiver_id": 2}]), registry)
    assert directives.forbidden_pairs[["offer_id", "need_id"]].values.tolist() == [["10", "11"]]
    assert directives.forbidden_companies[["supplier_id", "receiver_id"]].values.tolist() == [["1", "2"]]


def test_a_lock_s_max_quantity_caps_the_pair_and_is_checked(tmp_path, registry):
    """o1 (5,000 t) would fill n2 (4,000 t) and n1 (1,000 of 2,000 t); a lock of o1 -> n2 between
    1,000 and 2,500 t keeps that pair at 2,500 t and sends the rest to n1."""
    from solvers.matching import match

    header = "action,offer_id,need_id,supplier_id,receiver_id,min_quantity,max_quantity\n"
    directives = read_directives(_file(tmp_path, header + "lock,o1,n2,,,1000,2500\n"), registry)
    assert directives.locks[["min_quantity", "max_quantity"]].values.tolist() == [[1000.0, 2500.0]]
    flows = match(registry=registry, directives=directives).result.exchanges.set_index("need_id")["quantity"]
    assert flows.to_dict() == {"n1": pytest.approx(2000.0), "n2": pytest.approx(2500.0)}
    exact = read_directives(_file(tmp_path, header + "lock,o1,n2,,,1500,1500\n"), registry)
    flows = match(registry=registry, directives=exact).result.exchanges.set_index("need_id")["quantity"]
    assert flows["n2"] == pytest.approx(1500.0)
    bad = header + "lock,o1,n2,,,3000,2000\nforbid,o1,n1,,,,100\nlock,o1,n1,,,,0\n"
    with pytest.raises(InputError) as info:
        read_directives(_file(tmp_path, bad), registry)
    assert [(p.row, p.column, p.reason) for p in info.value.problems] == [
        (2, "max_quantity", "2000 is less than the min_quantity 3000"),
        (3, "max_quantity", "only a lock takes a max_quantity"),
        (4, "max_quantity", "must be more than 0 (to keep the pair out, forbid it)")]
