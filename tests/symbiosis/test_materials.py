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


@pytest.mark.parametrize(
    ("unit", "factor"),
    [
        ("t/md", 12.0),  # Danish "per måned": tonnes per month, not per milli-day
        ("kg/md", 0.012),
        ("ton/year", 1.0),  # metric tonnes, not US short tons
        ("tons/yr", 1.0),
        ("tonnes/yr", 1.0),
        ("t/år", 1.0),
        ("ton/år", 1.0),
        ("t/mdr", 12.0),
        ("t/måned", 12.0),
        ("kg/uge", 365.25 / 7 / 1000),
        ("t/dag", 365.25),
        ("t/døgn", 365.25),
        ("t/time", 8766.0),  # Danish "time" is an hour
        ("t pr. måned", 12.0),
        ("kt/yr", 1000.0),
    ],
)
def test_curated_units_read_metric_tonnes_and_danish_periods(unit, factor):
    assert unit_factor(unit, default_catalog().get("gypsum")) == pytest.approx(factor)


@pytest.mark.parametrize(
    ("unit", "material", "factor"),
    [("kWh/år", "steam", 1 / 1000), ("m3/år", "process-water", 1.0), ("l/dag", "process-water", 0.36525),
     ("m³/døgn", "cooling-water", 365.25), ("MW", "hot-water", 8766.0), ("GJ/md", "steam", 12 / 3.6)],
)
def test_danish_energy_and_volume_rates(unit, material, factor):
    assert unit_factor(unit, default_catalog().get(material)) == pytest.approx(factor)


@pytest.mark.parametrize(
    ("unit", "message"),
    [("t/", "no period after '/'"), ("(t/yr", "not a unit the engine understands"), (")))", "not a unit"),
     ("", "is empty"), ("t/ms", "not a period"), ("t/yr/yr", "more than one '/'"), ("/yr", "no amount"),
     ("t/md2", "not a period"), ("kg", "not a rate")],
)
def test_malformed_units_are_value_errors_never_crashes(unit, message):
    with pytest.raises(ValueError, match=message):
        unit_factor(unit, default_catalog().get("gypsum"))


def test_no_unit_text_escapes_as_another_exception():
    from hypothesis import given, settings, strategies as st

    from symbiosis.units import parse_rate

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet="tkgMWhLlm3/ .*^()[]+-_=,;:0123456789æøåyrd%#", max_size=10))
    def check(text):
        try:
            parse_rate(text)
        except ValueError:
            pass

    check()


@pytest.mark.parametrize(("unit", "message"), [("mt/yr", "millitonnes"), ("Nm3/h", "normal cubic metres"), ("lb/yr", "not a unit")])
def test_only_curated_amounts_are_read(unit, message):
    with pytest.raises(ValueError, match=message):
        unit_factor(unit, default_catalog().get("gypsum"))


@pytest.mark.parametrize(("unit", "factor"), [("mwh/yr", 1.0), ("KWH/år", 0.001), ("Mt/yr", 1e6), ("kilo/md", 0.012)])
def test_amounts_are_read_without_case_except_megatonnes(unit, factor):
    material = default_catalog().get("steam" if "wh" in unit.lower() else "gypsum")
    assert unit_factor(unit, material) == pytest.approx(factor)


@pytest.mark.parametrize(("unit", "gas", "tonnes_per_year"), [
    ("Nm3/yr", "nitrogen", 1.2506e-3),  # 1.2506 kg per Nm3
    ("Nm3/h", "oxygen", 1.4290e-3 * 8766),  # per hour: 365.25 days a year
    ("Nm³/år", "co2", 1.9768e-3),
    ("nm3/md", "hydrogen", 0.08988e-3 * 12),
])
def test_normal_cubic_metres_of_a_gas_are_converted_by_its_density_at_normal_conditions(unit, gas, tonnes_per_year):
    assert unit_factor(unit, default_catalog().get(gas)) == pytest.approx(tonnes_per_year, rel=1e-9)


def test_normal_cubic_metres_of_a_material_without_a_gas_density_are_refused_with_the_way_out():
    for material in ("fuel-gas", "10 01 05"):  # a fuel gas's density depends on its mix; a waste is no gas
        with pytest.raises(ValueError, match=r"normal cubic metres of gas.*give '.*' in (MWh|t)/yr"):
            unit_factor("Nm3/yr", default_catalog().get(material))
    with pytest.raises(ValueError, match="an amount, not a rate"):
        unit_factor("Nm3", default_catalog().get("nitrogen"))


def test_a_gas_volume_of_a_fuel_gas_is_refused_with_the_unit_to_use():
    with pytest.raises(ValueError, match=r"no density is known for it \(a volume reaches its energy content.*give it in MWh/yr"):
        unit_factor("m3/day", default_catalog().get("fuel-gas"))
    with pytest.raises(ValueError, match=r"no density is known for it: give it in t/yr"):
        unit_factor("m3/yr", default_catalog().get("10 01 05"))


def test_hazardous_codes_are_shown_with_their_star_whatever_the_column_holds():
    import pandas as pd

    shown = default_catalog().shown
    plain = pd.Series(["13 02 05", "gypsum", "10 01 05", None], dtype=object)
    assert shown(plain).tolist()[:3] == ["13 02 05*", "gypsum", "10 01 05"] and shown(plain).isna().iloc[3]
    assert shown(plain.astype("category")).astype(object).tolist()[:3] == ["13 02 05*", "gypsum", "10 01 05"]
    both = pd.Series(["13 02 05", "13 02 05*"], dtype="category")  # already starred once: never twice
    assert shown(both).tolist() == ["13 02 05*", "13 02 05*"]
