"""Danish files through the import API, and bad values that must be a 422 naming the field, never a 500."""

from __future__ import annotations

import math

import pytest

V1 = "/api/v1"

COMPANIES_DA = (
    "company_id;name;nace;lat;lon;municipality\n"
    "fynsværk;Fynsværket;3511;55,4;10,4;Odense\n"
    "cementfabrik;Cementfabrik Ålborg;235100;55,41;10,42;Odense\n"
)
LISTINGS_DA = (
    "listing_id;company_id;kind;material;quantity;unit\n"
    "flyveaske;fynsværk;offer;10 01 02;30.000;t/år\n"
    "råmel;cementfabrik;need;cement-raw-material;2.500;t/md\n"
)


def _upload(api, key, companies: str, listings: str, **form):
    files = {"companies": ("virksomheder.csv", companies.encode("cp1252"), "text/csv"),
             "listings": ("opslag.csv", listings.encode("cp1252"), "text/csv")}
    return api.client.post(f"{V1}/imports", files=files, data=form, headers=key)


def test_a_danish_semicolon_cp1252_import_with_its_locale_reads_every_number_right(api):
    fac = api.key("facilitator")
    answer = _upload(api, fac, COMPANIES_DA, LISTINGS_DA, locale="da")
    assert answer.status_code == 200, answer.text
    ash = api.client.get(f"{V1}/listings/flyveaske", headers=fac).json()
    meal = api.client.get(f"{V1}/listings/råmel", headers=fac).json()
    assert ash["quantity_canonical"] == pytest.approx(30_000)
    assert meal["quantity_canonical"] == pytest.approx(2_500 * 12)  # t/md: tonnes per month
    company = api.client.get(f"{V1}/companies/cementfabrik", headers=fac).json()
    assert company["nace"] == "23.51" and company["name"] == "Cementfabrik Ålborg"


def test_an_ambiguous_number_without_a_locale_is_a_422_naming_the_cell_and_both_readings(api):
    fac = api.key("facilitator")
    answer = _upload(api, fac, COMPANIES_DA.replace("55,4;10,4", "55.4;10.4").replace("55,41;10,42", "55.41;10.42"),
                     LISTINGS_DA.replace("2.500", "2500"))
    assert answer.status_code == 422, answer.text
    [error] = [e for e in answer.json()["errors"] if e["column"] == "quantity"]
    assert error["table"] == "opslag.csv" and error["row"] == 2
    assert "30" in error["reason"] and "30000" in error["reason"].replace(",", "").replace(".", "")
    assert api.client.get(f"{V1}/companies", headers=fac).json()["count"] == 0  # nothing written


def test_a_nul_character_in_an_imported_cell_is_a_422_naming_row_and_column_and_nothing_is_written(api):
    fac = api.key("facilitator")
    answer = _upload(api, fac, COMPANIES_DA.replace("Fynsværket", "Fyns\x00værket"),
                     LISTINGS_DA + "slagge;fynsværk;offer;10 01 01;1.000;t/år\x00\n", locale="da")
    assert answer.status_code == 422, answer.text
    found = {(e["table"], e["row"], e["column"]) for e in answer.json()["errors"]}
    assert found == {("virksomheder.csv", 2, "name"), ("opslag.csv", 4, "unit")}
    assert "NUL" in answer.text
    assert api.client.get(f"{V1}/companies", headers=fac).json()["count"] == 0


@pytest.mark.parametrize("name", [b"virk\x00somheder.csv", b"virk\x01\x1b[31msomheder.csv", b"virk\xff\xfe.csv"])
def test_an_upload_named_with_control_characters_or_bad_utf8_is_read_under_its_printable_name(api, name):
    # The multipart body as a client may send it, byte for byte: the file name is only a label.
    fac, boundary = api.key("facilitator"), b"b0undary"

    def upload(listings: str):
        parts = [(b"companies", name, COMPANIES_DA), (b"listings", b"opslag.csv", listings)]
        body = b"".join(b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + field + b'"; filename="'
                        + filename + b'"\r\nContent-Type: text/csv\r\n\r\n' + text.encode("cp1252") + b"\r\n"
                        for field, filename, text in parts)
        body += b"--" + boundary + b'\r\nContent-Disposition: form-data; name="locale"\r\n\r\nda\r\n'
        body += b"--" + boundary + b"--\r\n"
        return api.client.post(f"{V1}/imports", content=body, headers={
            **fac, "Content-Type": "multipart/form-data; boundary=" + boundary.decode()})

    refused = upload(LISTINGS_DA.replace("30.000", "-1"))
    assert refused.status_code == 422, refused.text
    assert [(e["table"], e["column"]) for e in refused.json()["errors"]] == [("opslag.csv", "quantity")]
    answer = upload(LISTINGS_DA)
    assert answer.status_code == 200, answer.text
    assert api.client.get(f"{V1}/companies", headers=fac).json()["count"] == 2


def test_an_unknown_locale_is_a_422_naming_the_field(api):
    answer = _upload(api, api.key("facilitator"), COMPANIES_DA, LISTINGS_DA, locale="klingon")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["column"] == "locale"


@pytest.mark.parametrize("unit", ["t/", "(t/yr", ")))", "t/md/md", "mt/yr"])
def test_a_bad_unit_is_a_422_naming_the_unit_field(region, unit):
    key = region.companies["gyproc"]
    answer = region.api.client.post(f"{V1}/listings", headers=key, json={
        "listing_id": "x1", "company_id": "gyproc", "kind": "need", "material": "gypsum", "quantity": 5, "unit": unit})
    assert answer.status_code == 422, answer.text
    assert any(e["column"] == "unit" or "unit" in e["loc"] for e in answer.json()["errors"])


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_nan_or_infinity_in_json_is_a_422_not_a_500(region, number):
    key = region.companies["gyproc"]
    body = ('{"listing_id": "x2", "company_id": "gyproc", "kind": "need", "material": "gypsum", '
            f'"quantity": {number}, "unit": "t/yr"}}')
    answer = region.api.client.post(f"{V1}/listings", headers={**key, "Content-Type": "application/json"}, content=body)
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize(("quantity", "reason"), [
    ("150.000", "'150.000' reads as 150000 in Danish notation and as 150 in English notation"),
    (True, "must be a number, not true or false"), ("1_000", "'1_000' is not a number"),
    ("12 t", "'12 t' is not a number")])
def test_a_quantity_sent_as_ambiguous_text_or_true_is_a_422_naming_the_readings(region, quantity, reason):
    """Text in a number field is read as a table's cell is: what reads differently in Danish and
    English, or is no number, is refused, and true is no 1."""
    key = region.companies["gyproc"]
    answer = region.api.client.post(f"{V1}/listings", headers=key, json={
        "listing_id": "x3", "company_id": "gyproc", "kind": "need", "material": "gypsum", "quantity": quantity,
        "unit": "t/yr"})
    assert answer.status_code == 422, answer.text
    assert reason in answer.text
    assert region.api.client.get(f"{V1}/listings/x3", headers=key).status_code == 404


@pytest.mark.parametrize(("quantity", "stored"), [("150000", 150_000), ("1.234,5", 1234.5), ("2.5", 2.5), (7, 7)])
def test_a_quantity_sent_as_plain_text_is_read_as_a_cell(region, quantity, stored):
    key = region.companies["gyproc"]
    answer = region.api.client.post(f"{V1}/listings", headers=key, json={
        "listing_id": "x4", "company_id": "gyproc", "kind": "need", "material": "gypsum", "quantity": quantity,
        "unit": "t/yr"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["quantity"] == stored


@pytest.mark.parametrize(("quantity", "unit"), [(1e20, "t/yr"), (1e300, "Mt/yr"), (1e308, "GWh/yr")])
def test_a_quantity_beyond_the_worlds_yearly_total_is_a_422_and_rounds_still_run(region, quantity, unit):
    # One company's typing error must not stop the region's rounds or store an infinite quantity.
    key, client = region.companies["gyproc"], region.api.client
    material = "steam" if unit.startswith("GWh") else "gypsum"
    created = client.post(f"{V1}/listings", headers=key, json={
        "listing_id": "x3", "company_id": "gyproc", "kind": "need", "material": material, "quantity": quantity,
        "unit": unit})
    assert created.status_code == 422, created.text
    assert [e["column"] for e in created.json()["errors"]] == ["quantity"]
    assert "a year, more than the world's" in created.text
    listing = client.get(f"{V1}/listings/gyproc-gypsum", headers=key).json()
    changed = client.patch(f"{V1}/listings/gyproc-gypsum", headers={**key, "If-Match": f'"{listing["version"]}"'},
                           json={"quantity": quantity, "unit": unit})
    assert changed.status_code == 422, changed.text
    imported = client.post(f"{V1}/imports", headers=region.facilitator, files={
        "listings": ("listings.csv", f"listing_id,company_id,kind,material,quantity,unit\n"
                                     f"x4,gyproc,need,{material},{quantity},{unit}\n")})
    assert imported.status_code == 422, imported.text
    assert client.get(f"{V1}/listings/x4", headers=region.facilitator).status_code == 404
    started = client.post(f"{V1}/rounds", headers=region.facilitator, json={"name": "after"})
    assert region.api.wait(started.json()["id"], region.facilitator)["status"] == "succeeded"


@pytest.mark.parametrize("change", [{"version": True}, {"version": "1"}, {"max_partners": True}])
def test_true_is_not_read_as_the_number_one(region, change):
    key = region.companies["gyproc"]
    body = {"quantity": 5, **change}
    headers = key if "version" in change else {**key, "If-Match": '"1"'}
    answer = region.api.client.patch(f"{V1}/listings/gyproc-gypsum", headers=headers, json=body)
    assert answer.status_code == 422, answer.text
    assert region.api.client.get(f"{V1}/listings/gyproc-gypsum", headers=key).json()["version"] == 1


def test_ids_outside_latin_1_are_stored_and_read_back(region):
    key = region.companies["gyproc"]
    listing_id = "gips-ø-€-✓"
    created = region.api.client.post(f"{V1}/listings", headers=key, json={
        "listing_id": listing_id, "company_id": "gyproc", "kind": "need", "material": "gypsum", "quantity": 5,
        "unit": "t/yr"})
    assert created.status_code == 201, created.text
    assert created.headers["Location"].endswith("/gips-%C3%B8-%E2%82%AC-%E2%9C%93")
    read = region.api.client.get(f"{V1}/listings/{listing_id}", headers=key)
    assert read.status_code == 200 and read.json()["listing_id"] == listing_id
    assert math.isfinite(read.json()["quantity"])


def test_an_import_places_companies_by_address_through_the_configured_geocoder(database_url):
    from service.settings import Settings
    from tests.helpers import create_app_client, new_key, stub_nominatim

    companies = ("company_id;name;nace;lat;lon;address\n"
                 "asnaes;Asnæs;35.11;;;Asnæsvej 16, 4400 Kalundborg\n"
                 "gyproc;Gyproc;23.62;55.67;11.10;\n")
    listings = "listing_id;company_id;kind;material;quantity;unit\ng;asnaes;offer;gypsum;10;t/yr\n"
    files = {"companies": ("c.csv", companies.encode(), "text/csv"), "listings": ("l.csv", listings.encode(), "text/csv")}
    with stub_nominatim() as url:
        with create_app_client(Settings(database_url=database_url, geocoder_url=url, geocoder_min_delay_s=0)) as (client, app):
            fac = {"Authorization": f"Bearer {new_key(app, 'facilitator')}"}
            answer = client.post(f"{V1}/imports", files=files, headers=fac)
            assert answer.status_code == 200, answer.text
            assert any("geocoded" in notice for notice in answer.json()["notices"])
            asnaes = client.get(f"{V1}/companies/asnaes", headers=fac).json()
            assert (asnaes["lat"], asnaes["lon"]) == (pytest.approx(55.6626), pytest.approx(11.0808))
        with create_app_client(Settings(database_url=database_url)) as (client, app):
            fac = {"Authorization": f"Bearer {new_key(app, 'facilitator')}"}
            files["companies"] = ("c.csv", companies.replace("asnaes;", "asnaes2;").encode(), "text/csv")
            missing = client.post(f"{V1}/imports", files=files, headers=fac)
            assert missing.status_code == 422  # no geocoder: a missing coordinate is an error as before


def test_a_gas_listed_in_normal_cubic_metres_is_stored_in_tonnes_and_other_materials_get_a_422(api):
    fac = api.key("facilitator")
    company = {"company_id": "asu", "name": "Air separation", "nace": "20.11", "lat": 61.35, "lon": 22.15,
               "municipality": "Harjavalta"}
    assert api.client.post(f"{V1}/companies", json=company, headers=fac).status_code == 201
    made = api.client.post(f"{V1}/listings", headers=fac, json={
        "listing_id": "asu-o2", "company_id": "asu", "kind": "offer", "material": "oxygen", "quantity": 1000,
        "unit": "Nm³/h"})
    assert made.status_code == 201, made.text
    assert made.json()["quantity_canonical"] == pytest.approx(1000 * 1.4290e-3 * 8766)
    assert made.json()["canonical_unit"] == "t"
    refused = api.client.post(f"{V1}/listings", headers=fac, json={
        "listing_id": "asu-gas", "company_id": "asu", "kind": "offer", "material": "fuel-gas", "quantity": 1000,
        "unit": "Nm3/h"})
    assert refused.status_code == 422 and "normal cubic metres" in refused.text and "MWh/yr" in refused.text


def test_a_listing_may_name_its_material_class_by_its_danish_name(api):
    fac = api.key("facilitator")
    api.client.post(f"{V1}/companies", headers=fac, json={"company_id": "gipsfabrik", "name": "Gipsfabrik",
                                                          "nace": "23.62", "lat": 55.6, "lon": 11.1})
    made = api.client.post(f"{V1}/listings", headers=fac, json={
        "listing_id": "g1", "company_id": "gipsfabrik", "kind": "need", "material": "Gips", "quantity": 5, "unit": "t/år"})
    assert made.status_code == 201, made.text
    assert made.json()["material"] == "Gips" and made.json()["material_key"] == "gypsum"


@pytest.mark.parametrize("listing_id", ["\u200b", "gyproc\u200b-gypsum", "a\u202eb", "soft\u00adhyphen"])
def test_an_id_with_invisible_characters_is_a_422_so_no_id_can_pass_for_another(api, listing_id):
    fac = api.key("facilitator")
    api.client.post(f"{V1}/companies", headers=fac, json={"company_id": "c1", "name": "C", "nace": "23.62",
                                                          "lat": 55.6, "lon": 11.1})
    made = api.client.post(f"{V1}/listings", headers=fac, json={
        "listing_id": listing_id, "company_id": "c1", "kind": "need", "material": "gypsum", "quantity": 5,
        "unit": "t/yr"})
    assert made.status_code == 422 and "listing_id" in made.text
