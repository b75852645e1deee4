"""Shared fixtures. Each block names its owner; add yours below the storage block."""

from __future__ import annotations

# ==== storage: database URLs for every backend (owner: storage) =========================
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import make_url

from tests.argon2_cheap import use_cheap_hasher

PG_ENV = "TICKETFLOW_TEST_PG"
PG_SKIP = f"{PG_ENV} not set"


@contextmanager
def pg_schema_url(base: str) -> Iterator[str]:
    """A URL whose connections live in a fresh schema of their own, dropped afterwards."""
    url = make_url(base)
    schema = f"t_{uuid4().hex[:16]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def backend_url(kind: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database of a kind: sqlite-memory, sqlite-file, postgresql."""
    if kind == "sqlite-memory":
        yield "sqlite://"
    elif kind == "sqlite-file":
        yield f"sqlite:///{directory / 'ticketflow.db'}"
    else:
        base = os.environ.get(PG_ENV)
        if not base:
            pytest.skip(PG_SKIP)
        with pg_schema_url(base) as url:
            yield url


@pytest.fixture(params=["sqlite-memory", "sqlite-file",
                        pytest.param("postgresql", marks=pytest.mark.pg)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on every backend (PostgreSQL only when TICKETFLOW_TEST_PG is set)."""
    with backend_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture(params=["sqlite-file", pytest.param("postgresql", marks=pytest.mark.pg)])
def shared_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database several processes can open: a SQLite file, or PostgreSQL."""
    with backend_url(request.param, tmp_path) as url:
        yield url

# ==== end of storage fixtures ============================================================

# ==== accounts: argon2 at its cheapest, in the suite only (owner: accounts) ===

def pytest_configure() -> None:
    """Real argon2, with its cheapest parameters: production costs take ~0.3 s a hash.

    The product has no switch for this (no setting, no environment variable): the suite
    swaps the hasher itself, in this process. Subprocesses hash at the product's cost
    unless they are started through ``python -m tests.argon2_cheap``.
    """
    use_cheap_hasher()
# ==== habits: Hypothesis profiles and the slow marker (owner: reliability) ===============
# Hypothesis: CI (the environment variable CI set, as CI runners and .ci/run do) replays the
# same examples every run (derandomize, no example database), so a submission never fails
# on an unlucky seed; a local run keeps exploring new examples and remembers failing ones
# in .hypothesis/. Neither has a deadline nor the too_slow health check: both measure wall
# time, which a loaded 2-core machine stretches.
#
# slow: a test (or a family of parametrized cases) that takes 5 s or more by itself on an
# idle machine here because of what it proves: a campaign of kills (crash, power loss),
# many processes racing, every seed scenario run, property tests whose every example runs
# a whole scenario, the terminal app driven through every screen. ``make test`` and CI run
# them like every other test; leave them out of a quick local run with -m "not slow".
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", settings.get_profile("dev"), derandomize=True, database=None,
                          print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
# ==== end of habits ======================================================================
