"""Access control as a full matrix of role x route, and what each role may see."""

from __future__ import annotations

import re

import pytest

from service.api.app import API_PREFIX

ROLES = ("admin", "facilitator", "planner", "company")

#: (method, path, roles that pass the role check). Ids that do not exist are fine: a role that
#: passes gets 2xx, 404, 409 or 422, one that does not gets 403, and no key at all gets 401.
MATRIX = [
    ("GET", "/me", ROLES),
    ("GET", "/me/unmatched", ("company",)),
    ("POST", "/keys", ("admin",)),
    ("GET", "/keys", ("admin",)),
    ("DELETE", "/keys/99999", ("admin",)),
    ("POST", "/companies", ("facilitator",)),
    ("GET", "/companies", ("facilitator", "company")),
    ("GET", "/companies/nobody", ("facilitator", "company")),
    ("PATCH", "/companies/nobody", ("facilitator", "company")),
    ("DELETE", "/companies/nobody", ("facilitator",)),
    ("POST", "/listings", ("facilitator", "company")),
    ("GET", "/listings", ("facilitator", "company")),
    ("GET", "/listings/nothing", ("facilitator", "company")),
    ("PATCH", "/listings/nothing", ("facilitator", "company")),
    ("DELETE", "/listings/nothing", ("facilitator", "company")),
    ("POST", "/imports", ("facilitator",)),
    ("POST", "/rounds", ("facilitator",)),
    ("GET", "/rounds", ("facilitator", "planner")),
    ("GET", "/rounds/99999", ("facilitator", "planner")),
    ("POST", "/rounds/99999/run", ("facilitator",)),
    ("POST", "/rounds/99999/cancel", ("facilitator",)),
    ("POST", "/rounds/99999/send", ("facilitator",)),
    ("GET", "/rounds/99999/unmatched", ("facilitator",)),
    ("GET", "/rounds/99999/results.xlsx", ("facilitator",)),
    ("GET", "/proposals", ("facilitator", "company")),
    ("GET", "/proposals/99999", ("facilitator", "company")),
    ("POST", "/proposals/99999/accept", ("company",)),
    ("POST", "/proposals/99999/decline", ("company",)),
    ("GET", "/exchanges", ("facilitator", "company")),
    ("GET", "/exchanges/totals", ("facilitator", "planner")),
    ("GET", "/exchanges/99999", ("facilitator", "company")),
    ("POST", "/exchanges/99999/end", ("facilitator", "company")),
    ("GET", "/stats/listings", ("facilitator", "planner")),
    ("GET", "/audit", ("facilitator", "admin")),
    ("GET", "/materials?q=fly%20ash", ROLES),
    ("GET", "/web-config", ROLES),
    ("GET", "/analytics/network", ("facilitator", "planner")),
    ("GET", "/analytics/keystones", ("facilitator", "planner")),
    ("GET", "/analytics/aggregates", ("facilitator", "planner")),
    ("GET", "/analytics/unmatched-supply", ("facilitator", "planner")),
    ("GET", "/analytics/processor-site?material=10%2001%2005", ("facilitator", "planner")),
    ("GET", "/analytics/marginal-values", ("facilitator", "planner")),
    ("POST", "/analytics/resilience", ("facilitator", "planner")),
    ("POST", "/analytics/scenarios", ("facilitator", "planner")),
    ("GET", "/analytics/scenarios", ("facilitator", "planner")),
    ("GET", "/analytics/scenarios/compare?ids=99999", ("facilitator", "planner")),
    ("GET", "/analytics/scenarios/99999", ("facilitator", "planner")),
    ("GET", "/analytics/export/geojson", ("facilitator", "planner")),
    ("GET", "/analytics/export/graphml", ("facilitator", "planner")),
    ("GET", "/analytics/export/csv", ("facilitator", "planner")),
    ("GET", "/analytics/export/xlsx", ("facilitator", "planner")),
]


def test_the_matrix_covers_every_route(api):
    paths = api.client.get("/openapi.json").json()["paths"]
    routes = {(method.upper(), path.removeprefix(API_PREFIX)) for path, operations in paths.items()
              for method in operations}
    covered = set()
    for method, path, _roles in MATRIX:
        for route_method, template in routes:
            parts, given = template.split("/"), path.split("?")[0].split("/")
            if route_method == method and len(parts) == len(given) and all(
                    a == b or a.startswith("{") for a, b in zip(parts, given)):
                covered.add((route_method, template))
    assert covered == routes


@pytest.mark.parametrize(("method", "path", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_role_matrix(region, method, path, allowed):
    api = region.api
    keys = {"admin": api.key("admin"), "facilitator": region.facilitator, "planner": api.key("planner"),
            "company": region.companies["gyproc"]}
    url = API_PREFIX + path
    assert api.client.request(method, url).status_code == 401
    assert api.client.request(method, url, headers={"Authorization": "Bearer sym_nope_nope"}).status_code == 401
    for role in ROLES:
        status = api.client.request(method, url, headers=keys[role], json={} if method in ("POST", "PATCH") else None
                                    ).status_code
        if role in allowed:
            assert status not in (401, 403, 500), (role, status)
        else:
            assert status == 403, (role, status)


def test_the_web_page_and_its_files_are_public_and_hold_no_data(region):
    """GET / and /static/... are outside the API (and its schema): the page reads data only with a key."""
    client = region.api.client
    page = client.get("/")
    assert page.status_code == 200 and "Gyproc" not in page.text and "gyproc" not in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/nothing.js").status_code == 404
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and not any(path.startswith("/static") for path in paths)


def test_a_company_sees_and_changes_only_its_own_data(region):
    client, keys = region.api.client, region.companies
    own = client.get(f"{API_PREFIX}/listings", headers=keys["gyproc"]).json()
    assert [item["listing_id"] for item in own["data"]] == ["gyproc-gypsum"]
    assert [c["company_id"] for c in client.get(f"{API_PREFIX}/companies", headers=keys["gyproc"]).json()["data"]] == ["gyproc"]
    assert client.get(f"{API_PREFIX}/listings/asnaes-gypsum", headers=keys["gyproc"]).status_code == 404
    assert client.get(f"{API_PREFIX}/companies/asnaes", headers=keys["gyproc"]).status_code == 404
    patch = client.patch(f"{API_PREFIX}/listings/asnaes-gypsum", json={"quantity": 1, "version": 1},
                         headers=keys["gyproc"])
    assert patch.status_code == 404
    stolen = client.post(f"{API_PREFIX}/listings", headers=keys["gyproc"], json={
        "listing_id": "fake", "company_id": "asnaes", "kind": "offer", "material": "gypsum", "quantity": 1,
        "unit": "t/yr"})
    assert stolen.status_code == 403
    assert client.delete(f"{API_PREFIX}/listings/asnaes-gypsum", headers=keys["gyproc"]).status_code == 404


def test_a_listing_created_without_an_id_gets_one_nobody_can_guess(region):
    client, keys = region.api.client, region.companies
    body = {"company_id": "gyproc", "kind": "need", "material": "gypsum", "quantity": 5, "unit": "t/yr"}
    first = client.post(f"{API_PREFIX}/listings", headers=keys["gyproc"], json=body)
    second = client.post(f"{API_PREFIX}/listings", headers=keys["gyproc"], json=body)
    assert first.status_code == second.status_code == 201, first.text
    ids = [first.json()["listing_id"], second.json()["listing_id"]]
    assert ids[0] != ids[1] and all(re.fullmatch(r"listing-[0-9a-f]{24}", i) for i in ids)
    assert "gyproc" not in ids[0]  # the id does not name the company to anyone it is shown to
    assert first.headers["Location"].endswith(f"/listings/{ids[0]}")
    read = client.get(f"{API_PREFIX}/listings/{ids[0]}", headers=keys["gyproc"])
    assert read.status_code == 200 and read.json()["quantity"] == 5
    own = {item["listing_id"] for item in client.get(f"{API_PREFIX}/listings", headers=keys["gyproc"]).json()["data"]}
    assert set(ids) <= own
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ListingCreate"]
    assert "listing_id" not in schema.get("required", []) and "company_id" in schema["required"]


def test_revoked_keys_stop_working_and_keys_are_stored_only_as_hashes(api):
    admin = api.key("admin")
    created = api.client.post(f"{API_PREFIX}/keys", json={"role": "planner", "label": "region office"}, headers=admin)
    assert created.status_code == 201
    key = created.json()["key"]
    headers = {"Authorization": f"Bearer {key}"}
    assert api.client.get(f"{API_PREFIX}/me", headers=headers).json()["role"] == "planner"
    listed = api.client.get(f"{API_PREFIX}/keys", headers=admin).json()["data"]
    assert all("key" not in item for item in listed)
    with api.app.state.engine.connect() as connection:
        stored = [row[0] for row in connection.exec_driver_sql("SELECT key_hash FROM api_keys")]
    assert key not in stored and key.split("_", 2)[2] not in stored
    assert api.client.delete(f"{API_PREFIX}/keys/{created.json()['id']}", headers=admin).status_code == 204
    assert api.client.get(f"{API_PREFIX}/me", headers=headers).status_code == 401
    company_key = api.client.post(f"{API_PREFIX}/keys", json={"role": "company"}, headers=admin)
    assert company_key.status_code == 422 and company_key.json()["errors"][0]["loc"] == ["body", "company_id"]


def test_planners_get_aggregates_without_single_companies(region):
    api = region.api
    planner = api.key("planner")
    stats = api.client.get(f"{API_PREFIX}/stats/listings", headers=planner).json()["data"]
    assert stats and all(row["suppressed"] and row["open_quantity"] is None for row in stats)
    # No counts either: a group of one company, with the map, would point at it.
    assert all(row["companies"] is None and row["listings"] is None for row in stats)
    assert "gyproc" not in str(stats) and "Gyproc" not in str(stats)
    full = api.client.get(f"{API_PREFIX}/stats/listings", headers=region.facilitator).json()["data"]
    assert {row["open_quantity"] for row in full} == {150000, 100000, 30000}
    assert all(row["companies"] == 1 and row["listings"] == 1 for row in full)
    # A company that consents to planner access shows its figures.
    version = api.client.get(f"{API_PREFIX}/companies/gyproc", headers=region.companies["gyproc"]).json()["version"]
    consent = api.client.patch(f"{API_PREFIX}/companies/gyproc", json={"consent_planner": True, "version": version},
                               headers=region.companies["gyproc"])
    assert consent.status_code == 200 and consent.json()["consent_planner"] is True
    stats = api.client.get(f"{API_PREFIX}/stats/listings", headers=planner).json()["data"]
    shown = [row for row in stats if not row["suppressed"]]
    assert [(row["material"], row["open_quantity"]) for row in shown] == [("gypsum", 100000)]
