"""Units whose prefix changes the magnitude with its case are read by their case or refused."""

import pytest

from symbiosis.units import parse_rate


@pytest.mark.parametrize("unit", ["ML/yr", "Ml/yr", "ML/år"])
def test_megalitres_are_refused_naming_what_to_write_instead(unit):
    with pytest.raises(ValueError) as info:
        parse_rate(unit)
    message = str(info.value)
    assert repr(unit.split("/")[0]) in message and "megalitres" in message
    assert "m3/yr" in message and "1,000 m3" in message


@pytest.mark.parametrize("unit", ["ml/yr", "mL/yr"])
def test_millilitres_are_read_as_millilitres(unit):
    assert parse_rate(unit) == ("volume", pytest.approx(1e-6))


@pytest.mark.parametrize(
    ("unit", "message"),
    [("mWh/yr", "'mWh' is milliwatt hours in SI: write MWh"), ("mWH/år", "'mWH' is milliwatt hours"),
     ("mW", "'mW' is milliwatts in SI: write MW"), ("mJ/yr", "'mJ' is millijoules in SI: write MJ"),
     ("pJ/yr", "'pJ' is picojoules in SI: write PJ")],
)
def test_a_small_prefix_before_a_capital_is_the_si_unit_and_refused(unit, message):
    with pytest.raises(ValueError, match=message):
        parse_rate(unit)


@pytest.mark.parametrize(
    ("unit", "factor"),
    [("MWh/yr", 1.0), ("MWH/yr", 1.0), ("Mwh/yr", 1.0), ("mwh/yr", 1.0), ("MW", 8766.0), ("Mw", 8766.0),
     ("MJ/yr", 1 / 3600), ("Mj/yr", 1 / 3600), ("PJ/yr", 1e9 / 3600), ("Pj/yr", 1e9 / 3600)],
)
def test_a_capital_prefix_is_mega_or_peta(unit, factor):
    assert parse_rate(unit) == ("energy", pytest.approx(factor))


@pytest.mark.parametrize(
    "unit", ["Mg/yr", "mg/yr", "MG/yr", "GL/yr", "gl/yr", "Gl/yr", "kL/yr", "kl/yr", "KL/yr", "Mm3/yr", "mm3/yr", "MM3/yr"],
)
def test_prefixed_units_outside_the_list_are_refused_whatever_their_case(unit):
    with pytest.raises(ValueError, match="is not a (unit the engine understands|rate of mass, volume or energy)"):
        parse_rate(unit)


@pytest.mark.parametrize(("unit", "message"), [("MT/yr", "millitonnes"), ("mt/yr", "millitonnes")])
def test_mt_is_refused_unless_written_mt_for_megatonnes(unit, message):
    with pytest.raises(ValueError, match=message):
        parse_rate(unit)
    assert parse_rate("Mt/yr") == ("mass", pytest.approx(1e6))


def test_expressions_in_a_unit_are_refused_without_being_evaluated():
    """pint would evaluate '9^9^9' (a number of 370 million digits) and never finish; a unit cell is
    read as a unit word, not as arithmetic. Run apart so that a regression fails instead of hanging."""
    import subprocess
    import sys

    code = ("from symbiosis.units import parse_rate\n"
            "for unit in ['9^9^9/yr', '9^9^9^9', '(2**10**10)/yr', '9**9**9 t/yr']:\n"
            "    try:\n        parse_rate(unit)\n    except ValueError as exc:\n"
            "        assert 'not a unit' in str(exc), exc\n    else:\n        raise AssertionError(unit)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("unit", ["m/yr", "m2/yr", "km/yr", "furlong/yr"])
def test_known_units_of_another_dimension_are_still_named_as_such(unit):
    with pytest.raises(ValueError, match="is not a rate of mass, volume or energy"):
        parse_rate(unit)
