"""Fuzz every read endpoint of /api with schemathesis: no 5xx, every answer as documented.

The budget is bounded (``CASES_PER_OPERATION`` generated cases per GET
operation, at least 1,000 in all) so the run stays within a few minutes.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.settings import Settings

pytestmark = pytest.mark.slow

MIN_CASES = 1000
CASES_PER_OPERATION = 120
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def read_operations(demo_store):
    app = create_app(Settings(store=demo_store.url, seed_demo=False), store=demo_store)
    schema = schemathesis.openapi.from_asgi("/api", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if op.method.upper() == "GET"]


def _fuzz(operation, budget: int) -> int:
    calls = []

    @settings(max_examples=budget, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call()
        calls.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    run()
    return len(calls)


def test_read_endpoints_are_documented(read_operations):
    paths = {op.path for op in read_operations}
    assert {"/", "/conformance", "/collections", "/collections/{cid}",
            "/collections/{cid}/items", "/collections/{cid}/items/{fid}",
            "/sources/within", "/stations/{sid}/sources", "/priority"} <= paths


def test_fuzz_read_endpoints(read_operations):
    counts = {op.label: _fuzz(op, CASES_PER_OPERATION) for op in read_operations}
    print(f"schemathesis: {sum(counts.values())} cases: {counts}")
    # Operations without parameters have few distinct cases; the rest make up the budget.
    assert sum(counts.values()) >= MIN_CASES, counts
