"""Every error answers as RFC 9457 problem details, with the status code of the one mapping table."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from service.api.errors import PROBLEM_JSON, STATUS, status_of
from symbiosis.errors import (
    AnalyticsError, CancelledError, ConflictError, InfeasibleError, InputError, KeyRequestError, NotFoundError,
    PermissionDeniedError, SolverError, SymbiosisError,
)

V1 = "/api/v1"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


@pytest.mark.parametrize(("exc", "status"), [
    (InputError([]), 422), (KeyRequestError("x"), 422), (NotFoundError("company", "a"), 404),
    (PermissionDeniedError("x"), 403), (ConflictError("x"), 409), (InfeasibleError("x"), 409),
    (CancelledError("x"), 409), (SolverError("x"), 400), (AnalyticsError("x"), 400), (SymbiosisError("x"), 400),
    (StaleDataError("x"), 409), (IntegrityError("x", {}, Exception("x")), 409), (ValueError("x"), 500),
])
def test_one_table_maps_each_exception_class_to_its_status(exc, status):
    assert status_of(exc) == status


def test_the_table_names_every_exception_class_of_the_domain():
    import symbiosis.errors as errors

    classes = {c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)}
    assert all(any(issubclass(c, mapped) for mapped in STATUS) for c in classes)


def test_errors_of_every_kind_are_problem_details(api):
    facilitator = api.key("facilitator")
    missing = _problem(api.client.get(f"{V1}/companies/nobody", headers=facilitator), 404)
    assert missing["detail"] == "company 'nobody' does not exist" and missing["instance"] == f"{V1}/companies/nobody"
    assert "errors" not in missing
    unauthorised = api.client.get(f"{V1}/companies")
    assert _problem(unauthorised, 401)["title"] == "Unauthorized"
    assert unauthorised.headers["www-authenticate"] == "Bearer"
    forbidden = _problem(api.client.get(f"{V1}/keys", headers=facilitator), 403)
    assert "facilitator key may not do this" in forbidden["detail"]
    assert _problem(api.client.get("/api/v1/no-such-route", headers=facilitator), 404)["type"] == "about:blank"
    bad_query = _problem(api.client.get(f"{V1}/companies", params={"limit": 0}, headers=facilitator), 422)
    assert bad_query["errors"][0]["loc"] == ["query", "limit"] and bad_query["errors"][0]["field"] == "limit"
    company = {"company_id": "a", "name": "A", "nace": "35.11", "lat": 55.6, "lon": 11.1}
    assert api.client.post(f"{V1}/companies", json=company, headers=facilitator).status_code == 201
    duplicate = _problem(api.client.post(f"{V1}/companies", json=company, headers=facilitator), 409)
    assert duplicate["type"] == "urn:symbiosis:problem:conflict"


def test_input_problems_name_table_row_column_and_field(api):
    facilitator = api.key("facilitator")
    assert api.client.post(f"{V1}/companies", json={"company_id": "a", "name": "A", "nace": "35.11", "lat": 55.6,
                                                     "lon": 11.1}, headers=facilitator).status_code == 201
    listing = {"listing_id": "x", "company_id": "a", "kind": "offer", "material": "no such material",
               "quantity": 5, "unit": "t/yr"}
    body = _problem(api.client.post(f"{V1}/listings", json=listing, headers=facilitator), 422)
    assert body["type"] == "urn:symbiosis:problem:input" and body["detail"] == "1 problem(s) in the input"
    [error] = body["errors"]
    assert error["table"] == "listing" and error["column"] == "material" and error["field"] == "material"
    assert error["loc"] == ["body", "material"] and error["msg"] == error["reason"]


def test_the_openapi_document_describes_422_as_problem_details(api):
    schema = api.client.get("/openapi.json").json()
    documented = schema["paths"]["/api/v1/listings"]["post"]["responses"]["422"]["content"]
    assert documented == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert {"loc", "table", "row", "column", "field", "reason"} <= set(
        schema["components"]["schemas"]["ProblemError"]["properties"])
