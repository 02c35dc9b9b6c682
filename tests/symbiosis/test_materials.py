"""Materials and units: EWC codes in every written form, class ids, and pint conversions."""

import pytest

from symbiosis.materials import default_catalog, unit_factor


@pytest.mark.parametrize("text", ["10 01 05", "100105", " 10 01 05 ", "10 0105"])
def test_ewc_code_forms_normalise_to_spaced_code(text):
    assert default_catalog().normalise(text) == "10 01 05"


def test_hazardous_star_is_accepted_only_on_hazardous_entries():
    catalog = default_catalog()
    assert catalog.normalise("13 02 05*") == "13 02 05"
    with pytest.raises(ValueError, match="not hazardous"):
        catalog.normalise("10 01 05*")


def test_class_ids_are_case_insensitive_and_unknown_text_is_rejected():
    catalog = default_catalog()
    assert catalog.normalise("Steam") == "steam"
    with pytest.raises(ValueError, match="neither a European List of Waste code"):
        catalog.normalise("fly ash")
    with pytest.raises(ValueError, match="not a code of the European List of Waste"):
        catalog.normalise("99 99 99")


@pytest.mark.parametrize(
    ("unit", "material", "factor"),
    [
        ("t/yr", "gypsum", 1.0),
        ("kg/month", "gypsum", 12 / 1000),
        ("GJ/yr", "steam", 1 / 3.6),
        ("L/day", "process-water", 365.25 / 1000),
        ("m3/yr", "cooling-water", 1.0),
        ("t/yr", "cooling-water", 1.0),  # water: density 1 t/m3
    ],
)
def test_units_convert_to_the_canonical_yearly_rate(unit, material, factor):
    catalog = default_catalog()
    assert unit_factor(unit, catalog.get(material)) == pytest.approx(factor)


def test_steam_in_tonnes_converts_by_its_energy_content():
    steam = default_catalog().get("steam")
    assert steam.energy_mwh_per_t and unit_factor("t/yr", steam) == pytest.approx(steam.energy_mwh_per_t)


@pytest.mark.parametrize(
    ("unit", "message"),
    [("m3/yr", "no density"), ("t", "not a rate"), ("MWh/yr", "no energy content"), ("m/s", "not a rate"),
     ("tonnes of stuff", "not a unit")],
)
def test_wrong_dimension_or_unknown_units_are_refused_with_a_reason(unit, message):
    with pytest.raises(ValueError, match=message):
        unit_factor(unit, default_catalog().get("gypsum"))
