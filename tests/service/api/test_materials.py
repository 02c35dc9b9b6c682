"""GET /api/v1/materials?q=: every role finds the code or class to write in a listing."""

from __future__ import annotations

V1 = "/api/v1"


def test_a_company_finds_fly_ash_codes_best_first(region):
    key = region.companies["gyproc"]
    found = region.api.client.get(f"{V1}/materials", params={"q": "fly ash", "limit": 3}, headers=key)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["count"] == 3 and body["data"][0]["code"] == "10 01 02"
    assert all("ash" in row["description"].lower() for row in body["data"])


def test_danish_class_names_are_searched(region):
    found = region.api.client.get(f"{V1}/materials", params={"q": "procesdamp"}, headers=region.facilitator).json()
    assert found["data"][0]["code"] == "steam" and found["data"][0]["name_da"] == "Procesdamp"


def test_a_search_needs_a_key_and_a_query_within_limits(region):
    client = region.api.client
    assert client.get(f"{V1}/materials", params={"q": "ash"}).status_code == 401
    for params in ({}, {"q": ""}, {"q": "x" * 201}, {"q": "ash", "limit": 0}, {"q": "a\x01b"}):
        answer = client.get(f"{V1}/materials", params=params, headers=region.facilitator)
        assert answer.status_code == 422, params
        assert answer.headers["content-type"].startswith("application/problem+json")
