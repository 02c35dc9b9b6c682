"""Companies and listings: create, read, update with versions, delete, filters, validation, imports."""

from __future__ import annotations

import io
import threading

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from service.api.auth import create_key
from service.files import kalundborg_paths
from service.settings import Settings
from tests.helpers import create_app_client

V1 = "/api/v1"


def test_listing_crud_with_pagination_and_filters(region):
    client, fac = region.api.client, region.facilitator
    page = client.get(f"{V1}/listings", params={"limit": 2, "offset": 0}, headers=fac).json()
    assert page["count"] == 3 and len(page["data"]) == 2
    rest = client.get(f"{V1}/listings", params={"limit": 2, "offset": 2}, headers=fac).json()
    assert len(rest["data"]) == 1
    needs = client.get(f"{V1}/listings", params={"kind": "need", "municipality": "Kalundborg"}, headers=fac).json()
    assert [item["listing_id"] for item in needs["data"]] == ["gyproc-gypsum"]
    gypsum = client.get(f"{V1}/listings/asnaes-gypsum", headers=fac)
    assert gypsum.headers["ETag"] == '"1"'
    body = gypsum.json()
    assert body["material_key"] == "10 01 05" and body["canonical_unit"] == "t"
    assert body["quantity_canonical"] == pytest.approx(150000) and body["open_quantity"] == pytest.approx(150000)

    changed = client.patch(f"{V1}/listings/asnaes-gypsum", json={"quantity": 12000, "unit": "t/month"},
                           headers={**fac, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.headers["ETag"] == '"2"'
    assert changed.json()["quantity_canonical"] == pytest.approx(144000)
    assert client.delete(f"{V1}/listings/asnaes-gypsum", headers=fac).status_code == 204
    assert client.get(f"{V1}/listings/asnaes-gypsum", headers=fac).status_code == 404


def test_validation_errors_are_422_naming_field_and_reason(region):
    client, keys = region.api.client, region.companies
    def problems(material: str, unit: str, quantity: float = 5) -> dict[str, str]:
        response = client.post(f"{V1}/listings", headers=keys["gyproc"], json={
            "listing_id": "gyproc-x", "company_id": "gyproc", "kind": "need", "material": material,
            "quantity": quantity, "unit": unit})
        assert response.status_code == 422
        return {item["loc"][-1]: item["msg"] for item in response.json()["errors"]}

    assert "moon dust" in problems("moon dust", "t/yr")["material"]
    assert "rate" in problems("gypsum", "t")["unit"]
    both = problems("gypsum", "t", quantity=0)
    assert set(both) == {"quantity", "unit"}
    negative = client.post(f"{V1}/listings", headers=keys["gyproc"], json={
        "listing_id": "gyproc-y", "company_id": "gyproc", "kind": "need", "material": "gypsum",
        "quantity": -5, "unit": "t/yr"})
    assert negative.status_code == 422 and negative.json()["errors"][0]["loc"] == ["body", "quantity"]
    missing = client.post(f"{V1}/listings", headers=keys["gyproc"], json={"listing_id": "gyproc-z"})
    assert missing.status_code == 422
    assert {tuple(item["loc"]) for item in missing.json()["errors"]} >= {("body", "kind"), ("body", "quantity")}
    company = client.post(f"{V1}/companies", headers=region.facilitator, json={
        "company_id": "x", "name": "X", "nace": "99.99", "lat": 95, "lon": 11})
    assert company.status_code == 422
    assert {item["loc"][-1] for item in company.json()["errors"]} == {"nace", "lat"}
    unknown = client.post(f"{V1}/companies", headers=region.facilitator, json={
        "company_id": "y", "name": "Y", "nace": "23.51", "lat": 55, "lon": 11, "colour": "red"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["body", "colour"]
    duplicate = client.post(f"{V1}/companies", headers=region.facilitator, json={
        "company_id": "gyproc", "name": "G", "nace": "23.62", "lat": 55, "lon": 11})
    assert duplicate.status_code == 409
    assert client.get(f"{V1}/companies", headers=region.facilitator).json()["count"] == 3


def test_updates_without_a_version_are_refused_and_stale_versions_conflict(region):
    client, keys = region.api.client, region.companies
    url = f"{V1}/listings/gyproc-gypsum"
    assert client.patch(url, json={"quantity": 5}, headers=keys["gyproc"]).status_code == 428
    first = client.patch(url, json={"quantity": 90000, "version": 1}, headers=keys["gyproc"])
    assert first.status_code == 200
    second = client.patch(url, json={"description": "dry", "version": 1}, headers=region.facilitator)
    assert second.status_code == 409 and "version 2" in second.json()["detail"]
    assert client.get(url, headers=keys["gyproc"]).json()["quantity"] == 90000
    assert client.patch(url, json={"quantity": 5}, headers={**keys["gyproc"], "If-Match": "garbage"}).status_code == 422


def test_two_clients_updating_one_listing_at_once_cannot_both_win(region, settings):
    url = f"{V1}/listings/gyproc-gypsum"
    outcomes: list[int] = []
    barrier = threading.Barrier(6, timeout=30)

    def edit(quantity: int) -> None:
        client = TestClient(region.api.app)  # a second client of the running app (no second start-up)
        barrier.wait()
        response = client.patch(url, json={"quantity": quantity}, headers={**region.facilitator, "If-Match": '"1"'})
        outcomes.append(response.status_code)

    threads = [threading.Thread(target=edit, args=(1000 * (i + 1),)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [200, 409, 409, 409, 409, 409]
    final = region.api.client.get(url, headers=region.facilitator).json()
    assert final["version"] == 2


def test_company_updates_its_own_record_and_deletion_cascades_to_listings(region):
    client, fac, keys = region.api.client, region.facilitator, region.companies
    renamed = client.patch(f"{V1}/companies/boardco", json={"name": "Boards A/S", "version": 1}, headers=keys["boardco"])
    assert renamed.status_code == 200 and renamed.json()["name"] == "Boards A/S"
    cleared = client.patch(f"{V1}/companies/boardco", json={"name": None, "version": 2}, headers=keys["boardco"])
    assert cleared.status_code == 422 and cleared.json()["errors"][0]["loc"][-1] == "name"
    assert client.delete(f"{V1}/companies/boardco", headers=fac).status_code == 204
    assert client.get(f"{V1}/listings/boardco-gypsum", headers=fac).status_code == 404
    assert client.get(f"{V1}/me", headers=keys["boardco"]).status_code == 401


def _kalundborg() -> dict[str, bytes]:
    paths = kalundborg_paths()
    return {name: paths[name].read_bytes() for name in ("companies", "listings")}


def test_import_csv_creates_then_updates_all_rows(api):
    fac = api.key("facilitator")
    files = _kalundborg()
    upload = {"companies": ("companies.csv", files["companies"], "text/csv"),
              "listings": ("listings.csv", files["listings"], "text/csv")}
    first = api.client.post(f"{V1}/imports", files=upload, headers=fac)
    assert first.status_code == 200, first.text
    assert first.json()["companies_created"] == 16 and first.json()["listings_created"] == 39
    again = api.client.post(f"{V1}/imports", files=upload, headers=fac).json()
    assert again["companies_updated"] == 16 and again["listings_created"] == 0
    assert api.client.get(f"{V1}/listings", headers=fac).json()["count"] == 39


def test_import_with_bad_rows_reports_every_one_and_writes_nothing(api):
    fac = api.key("facilitator")
    files = _kalundborg()
    listings = pd.read_csv(io.BytesIO(files["listings"]), dtype=str, keep_default_na=False)
    listings.loc[2, "quantity"] = "lots"
    listings.loc[5, "unit"] = "t"
    listings.loc[7, "company_id"] = "ghost"
    bad = api.client.post(f"{V1}/imports", headers=fac, files={
        "companies": ("companies.csv", files["companies"], "text/csv"),
        "listings": ("my listings.csv", listings.to_csv(index=False).encode(), "text/csv")})
    assert bad.status_code == 422
    found = {(item["table"], item["row"], item["column"]) for item in bad.json()["errors"]}
    assert found == {("my listings.csv", 4, "quantity"), ("my listings.csv", 7, "unit"),
                     ("my listings.csv", 9, "company_id")}
    assert api.client.get(f"{V1}/companies", headers=fac).json()["count"] == 0


def test_import_workbook(api, tmp_path):
    fac = api.key("facilitator")
    paths = kalundborg_paths()
    book = tmp_path / "region.xlsx"
    with pd.ExcelWriter(book) as writer:
        for name in ("companies", "listings"):
            pd.read_csv(paths[name], dtype=str, keep_default_na=False).to_excel(writer, sheet_name=name, index=False)
    response = api.client.post(f"{V1}/imports", headers=fac, files={"workbook": ("region.xlsx", book.read_bytes())})
    assert response.status_code == 200, response.text
    assert response.json()["listings_created"] == 39
    broken = api.client.post(f"{V1}/imports", headers=fac, files={"workbook": ("region.xlsx", b"not a workbook")})
    assert broken.status_code == 422 and broken.json()["errors"][0]["table"] == "region.xlsx"


def test_request_size_limits_and_malformed_requests(database_url):
    settings = Settings(database_url=database_url, max_body_bytes=2048, max_upload_bytes=4096)
    with create_app_client(settings) as (client, app):
        with app.state.sessions.begin() as session:
            _row, key = create_key(session, "facilitator")
        fac = {"Authorization": f"Bearer {key}"}
        big = client.post(f"{V1}/imports", headers=fac, files={"companies": ("c.csv", b"x" * 10_000),
                                                                "listings": ("l.csv", b"y")})
        assert big.status_code == 413
        huge_json = client.post(f"{V1}/companies", headers=fac, content=b'{"name": "' + b"a" * 5000 + b'"}')
        assert huge_json.status_code == 413
        streamed = client.post(f"{V1}/companies", headers={**fac, "Content-Type": "application/json"},
                               content=iter([b"{", b" " * 3000, b"}"]))
        assert streamed.status_code == 413
        assert client.post(f"{V1}/companies", headers=fac, content=b"{not json").status_code == 422
        assert client.get(f"{V1}/rounds/99999999999999999999", headers=fac).status_code == 422
        assert client.get(f"{V1}/listings", params={"limit": 0}, headers=fac).status_code == 422
        nul = client.post(f"{V1}/companies", headers=fac, json={
            "company_id": "a", "name": "A\x00", "nace": "23.51", "lat": 55, "lon": 11})
        assert nul.status_code == 422
        nan = client.post(f"{V1}/companies", headers=fac, content=b'{"company_id": "a", "name": "A", '
                          b'"nace": "23.51", "lat": NaN, "lon": 11}', )
        assert nan.status_code == 422
