"""Requests generated from the OpenAPI schema as each role: no server error, and every response (status
code, media type, body and headers) as the schema documents it (a bounded schemathesis run)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance, not_a_server_error, response_headers_conformance, response_schema_conformance,
    status_code_conformance,
)

#: Examples per operation and the deadline of one example; keeps each role's run to seconds.
MAX_EXAMPLES = 6
DEADLINE_MS = 5000
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


def _fuzz(api, headers: dict[str, str]) -> int:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=DEADLINE_MS, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def conforms(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        conforms()
    return operations


def test_generated_requests_as_a_facilitator_conform_to_the_schema(region):
    assert _fuzz(region.api, region.facilitator) >= 45


def test_generated_requests_as_a_company_conform_to_the_schema(region):
    assert _fuzz(region.api, region.companies["gyproc"]) >= 45


def test_generated_requests_as_a_planner_conform_to_the_schema(region):
    assert _fuzz(region.api, region.api.key("planner")) >= 45


def test_generated_requests_without_a_key_conform_to_the_schema(region):
    assert _fuzz(region.api, {}) >= 45


def test_every_operation_documents_its_errors_as_problem_details_and_exports_their_media_types(region):
    document = region.api.client.get("/openapi.json").json()
    paths = document["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            responses = operation["responses"]
            if operation.get("security"):
                assert {"401", "403", "503"} <= set(responses), (method, path)
            for status, response in responses.items():
                if status >= "400":
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)
    assert {"404", "409", "428", "422", "413"} <= set(paths["/api/v1/listings/{listing_id}"]["patch"]["responses"])
    exports = {"geojson": "application/geo+json", "graphml": "application/graphml+xml", "csv": "text/csv"}
    for name, media_type in exports.items():
        assert list(paths[f"/api/v1/analytics/export/{name}"]["get"]["responses"]["200"]["content"]) == [media_type]
