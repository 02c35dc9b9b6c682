"""Requests generated from the OpenAPI schema never cause a server error (a bounded schemathesis run)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

#: Examples per operation and the deadline of one example; keeps the run around a minute.
MAX_EXAMPLES = 10
DEADLINE_MS = 5000


def _fuzz(api, headers: dict[str, str]) -> int:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=DEADLINE_MS, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def no_server_error(case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        no_server_error()
    return operations


def test_generated_requests_as_a_facilitator_never_cause_server_errors(region):
    assert _fuzz(region.api, region.facilitator) >= 30


def test_generated_requests_as_a_company_never_cause_server_errors(region):
    assert _fuzz(region.api, region.companies["gyproc"]) >= 30
