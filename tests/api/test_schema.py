"""schemathesis runs the OpenAPI against a live server: no 500s, answers as documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import Server, build_world, start_server
from tests.conftest import backend_url


@pytest.fixture(scope="module", params=["sqlite-file",
                                        pytest.param("postgresql", marks=pytest.mark.pg)])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Server, dict[str, str]]]:
    """A desk with a few tickets behind a real server, and an agent's token."""
    directory = tmp_path_factory.mktemp("schema")
    with backend_url(request.param, Path(directory)) as url:
        world = build_world(url)
        for _ in range(3):
            world.workspace.desk.open("mini", world.people["ann"], {"summary": "seed"})
        world.workspace.store.close()
        server = start_server(url, Path(directory) / "serve.log")
        try:
            yield server, world.headers("ann")
        finally:
            server.stop()


@pytest.fixture(scope="module")
def api_schema(served: tuple[Server, dict[str, str]]) -> Any:
    server, _ = served
    return schemathesis.openapi.from_url(server.base + "/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_the_api_keeps_its_schema(case: Any, served: tuple[Server, dict[str, str]]) -> None:
    server, headers = served
    # Every other check runs. Schema-valid data may still be bad input: the fields a
    # process requires and their types are the process's, not the schema's (400).
    case.call_and_validate(base_url=server.base, headers=headers,
                           excluded_checks=[positive_data_acceptance])
