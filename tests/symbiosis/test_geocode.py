"""Geocoding through a local stub of a Nominatim service (never the network), and misplaced sites."""

import socket

import pytest

from symbiosis.errors import InputError
from symbiosis.geocode import Geocoder, misplaced_sites, region_radius_km
from symbiosis.registry import read_registry
from tests.helpers import StubNominatim as _Nominatim
from tests.helpers import stub_nominatim

@pytest.fixture
def stub_geocoder():
    with stub_nominatim() as url:
        yield url


def _write(tmp_path, companies: str):
    (tmp_path / "c.csv").write_text(companies, encoding="utf-8")
    (tmp_path / "l.csv").write_text("listing_id,company_id,kind,material,quantity,unit\ng,a,offer,gypsum,10,t/yr\n")
    return tmp_path / "c.csv", tmp_path / "l.csv"


COMPANIES = ("company_id,name,nace,lat,lon,address\n"
             "a,Asnæs,35.11,,,\"Asnæsvej 16, 4400 Kalundborg\"\n"
             "b,Gyproc,23.62,55.67,11.10,\n"
             "c,Novo,21.10,,,\"Hareskovvej 12, 4400 Kalundborg\"\n")


def test_blank_coordinates_are_geocoded_cached_and_marked(tmp_path, stub_geocoder):
    c, l = _write(tmp_path, COMPANIES)
    cache = tmp_path / "geocache.json"
    geocoder = Geocoder(url=stub_geocoder, user_agent="symbiosis-tests", min_delay_s=0.0, cache_path=cache)
    reg = read_registry(companies=c, listings=l, geocoder=geocoder)
    assert reg.companies.loc["a", "lat"] == pytest.approx(55.6626)
    assert reg.companies.loc["c", "lon"] == pytest.approx(11.0950)
    assert reg.companies["geocoded"].to_dict() == {"a": True, "b": False, "c": True}
    notes = [n for n in reg.notices if "geocoded" in n]
    assert len(notes) == 2 and "row 2" in notes[0] and "'a'" in notes[0] and "row 4" in notes[1]
    assert len(_Nominatim.requests) == 2 and cache.is_file()
    again = Geocoder(url=stub_geocoder, user_agent="symbiosis-tests", min_delay_s=0.0, cache_path=cache)
    read_registry(companies=c, listings=l, geocoder=again)
    assert len(_Nominatim.requests) == 2  # answered from the cache file


def test_an_address_not_found_is_a_row_error(tmp_path, stub_geocoder):
    c, l = _write(tmp_path, COMPANIES.replace("Hareskovvej 12", "Nowhere 1"))
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l, geocoder=Geocoder(url=stub_geocoder, min_delay_s=0.0))
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (4, "address") and "not found" in problem.reason


def test_an_unreachable_geocoder_is_a_row_error_not_a_crash(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c, l = _write(tmp_path, COMPANIES)
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l, geocoder=Geocoder(url=f"http://127.0.0.1:{port}", min_delay_s=0.0, timeout_s=2))
    assert {(p.row, p.column) for p in info.value.problems} == {(2, "address"), (4, "address")}
    assert all("could not be geocoded" in p.reason for p in info.value.problems)


def test_without_a_geocoder_missing_coordinates_are_errors_that_mention_the_address(tmp_path):
    c, l = _write(tmp_path, COMPANIES)
    with pytest.raises(InputError) as info:
        read_registry(companies=c, listings=l)
    found = {(p.row, p.column) for p in info.value.problems}
    assert found == {(2, "lat"), (2, "lon"), (4, "lat"), (4, "lon")}
    assert "configure a geocoder" in info.value.problems[0].reason


def test_swapped_coordinates_are_flagged_naming_the_row(tmp_path):
    companies = ("company_id,name,nace,lat,lon\na,A,35.11,55.66,11.08\nb,B,23.62,55.67,11.10\n"
                 "c,C,23.62,9.7,55.5\nd,D,23.62,55.40,10.38\n")
    c, l = _write(tmp_path, companies)
    reg = read_registry(companies=c, listings=l)
    [note] = [n for n in reg.notices if "swapped" in n]
    assert "row 4" in note and "'c'" in note


def test_a_site_far_outside_the_region_is_flagged(tmp_path):
    companies = ("company_id,name,nace,lat,lon\na,A,35.11,55.66,11.08\nb,B,23.62,55.67,11.10\n"
                 "c,C,23.62,48.85,2.35\nd,D,23.62,55.40,10.38\n")
    c, l = _write(tmp_path, companies)
    reg = read_registry(companies=c, listings=l)
    [note] = [n for n in reg.notices if "median site" in n]
    assert "row 4" in note and "swapped" not in note


def test_misplaced_sites_needs_a_region_and_uses_the_longest_rule_distance():
    assert misplaced_sites([55.6, 9.7], [11.0, 55.5]) == []  # two sites make no region
    assert region_radius_km() == 300.0
    assert misplaced_sites([55.6, 55.7, 55.5], [11.0, 11.1, 10.9]) == []
