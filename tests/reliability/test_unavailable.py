"""The database becoming unavailable: a clear error, nothing half-written, recovery after.

- A SQLite file locked by another process for longer than the busy timeout: the Desk raises
  ``DatabaseBusy``; ``ticketflow fire`` exits non-zero with one ``error:`` line.
- PostgreSQL unreachable (a closed local port): ``DatabaseUnavailable``, exit code 2.
- PostgreSQL dropping the connection mid-run (the server restarted, a backend killed),
  between two calls or inside a transaction before its COMMIT: that call fails with
  ``DatabaseUnavailable``, nothing of it is written, and the next call works on a new
  connection; a timer worker backs off, reconnects and fires every due timer once, closing
  the store (and its connection pool) it gave up on.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, make_url

from engine.core.model import TicketQuery
from engine.desk.workers import Backoff, TimerWorker
from engine.time.clock import VirtualClock
from storage import DatabaseBusy, DatabaseUnavailable, open_store
from storage.database import BUSY_TIMEOUT_MS
from tests.conftest import PG_ENV, PG_SKIP, pg_schema_url
from tests.reliability.world import PASSWORD, Setup, check_desk, prepare
from tui.cli import run
from tui.wiring import UNAVAILABLE, open_workspace

HOLD_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
connection.execute("UPDATE tickets SET version = version WHERE id = 1")
print("locked", flush=True)
sys.stdin.read()  # hold the write lock until the test closes our stdin
"""
CLOSED_PORT = "postgresql+psycopg://postgres@127.0.0.1:1/test"


def _state(setup: Setup, ticket_id: int) -> tuple[str, int, int]:
    ticket = setup.workspace.store.load_ticket(ticket_id)
    return ticket.state, ticket.version, ticket.seq


@pytest.fixture
def sqlite_desk(tmp_path: Path) -> Iterator[tuple[Setup, Path]]:
    path = tmp_path / "desk.db"
    setup = prepare(f"sqlite:///{path}")
    yield setup, path
    setup.workspace.store.close()


def test_sqlite_locked_past_the_busy_timeout(sqlite_desk: tuple[Setup, Path],
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    setup, path = sqlite_desk
    desk, agent = setup.workspace.desk, setup.people["a1"]
    ticket_id = desk.open("crash", agent, {"summary": "locked out"}).id
    before = _state(setup, ticket_id)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        monkeypatch.setenv("TICKETFLOW_PASSWORD", PASSWORD)
        monkeypatch.setenv("TICKETFLOW_HOME", str(path.parent))
        exit_codes: list[int] = []
        cli = threading.Thread(target=lambda: exit_codes.append(run(
            ["fire", str(ticket_id), "take", "--db", f"sqlite:///{path}", "--as", "a2"])))
        started = time.monotonic()
        cli.start()
        with pytest.raises(DatabaseBusy, match="locked") as refused:
            desk.fire(ticket_id, "take", agent)
        assert time.monotonic() - started >= BUSY_TIMEOUT_MS / 1000 * 0.9
        cli.join(timeout=120)  # its own busy timeout, however slow the machine
        assert not cli.is_alive(), "ticketflow fire still waiting with the lock held"
    finally:
        holder.communicate("")  # let go of the lock
    out, err = capsys.readouterr()
    assert refused.value.exit_code != 0
    assert exit_codes == [DatabaseBusy.exit_code], err
    assert err.count("\n") == 1 and err.startswith("error: ") and "locked" in err, err
    assert "Traceback" not in err and out == ""
    assert _state(setup, ticket_id) == before  # nothing half-written
    assert check_desk(setup.workspace.store) == []  # type: ignore[arg-type]
    assert desk.fire(ticket_id, "take", agent).state == "working"  # and it works again


@contextmanager
def connection_attempts() -> Iterator[list[str]]:
    """Every connection any engine tries to open meanwhile, as ``host:port``."""
    attempts: list[str] = []

    def count(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        attempts.append(f"{cparams.get('host')}:{cparams.get('port')}")

    event.listen(Engine, "do_connect", count)
    try:
        yield attempts
    finally:
        event.remove(Engine, "do_connect", count)


def test_postgresql_unreachable_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Refused at the first attempt: one connection tried per call, no retry, no wait (a
    wall-clock limit here failed on a loaded machine and proved less)."""
    with connection_attempts() as attempts:
        with pytest.raises(DatabaseUnavailable, match="cannot use the database"):
            open_store(CLOSED_PORT)
        assert attempts == ["127.0.0.1:1"]
        assert run(["list", "--db", CLOSED_PORT]) == DatabaseUnavailable.exit_code == 2
        assert attempts == ["127.0.0.1:1"] * 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: cannot use the database"), err


@pytest.fixture
def pg_desk() -> Iterator[tuple[Setup, str]]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    name = f"tf_rel_{os.getpid()}_{threading.get_ident() % 10_000}"
    with pg_schema_url(str(make_url(base).update_query_dict({"application_name": name}))
                       ) as url:
        setup = prepare(url)
        yield setup, name
        setup.workspace.store.close()


def _kill_backends(application_name: str) -> int:
    """Terminate every server backend of our connections, as a server restart would."""
    admin = os.environ[PG_ENV].replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as connection:
        row = connection.execute("SELECT count(pg_terminate_backend(pid)) FROM "
                                 "pg_stat_activity WHERE application_name = %s",
                                 (application_name,)).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.pg
def test_postgresql_connection_lost_between_calls(pg_desk: tuple[Setup, str]) -> None:
    setup, name = pg_desk
    desk, agent = setup.workspace.desk, setup.people["a1"]
    ticket_id = desk.open("crash", agent, {"summary": "server restarts"}).id
    assert _kill_backends(name) >= 1
    with pytest.raises(DatabaseUnavailable):
        desk.fire(ticket_id, "take", agent)
    assert _state(setup, ticket_id) == ("new", 1, 1)
    assert desk.fire(ticket_id, "take", agent).state == "working"  # a new connection
    assert check_desk(setup.workspace.store) == []  # type: ignore[arg-type]


@pytest.mark.pg
def test_a_queue_page_is_read_again_on_a_new_connection(pg_desk: tuple[Setup, str]) -> None:
    """A page is read on the driver connection the desk holds: when the server dropped it,
    the read is sent again on a new one instead of failing (a read can be)."""
    setup, name = pg_desk
    desk, agent = setup.workspace.desk, setup.people["a1"]
    ticket_id = desk.open("crash", agent, {"summary": "server restarts"}).id
    assert [t.id for t in desk.tickets(TicketQuery(limit=5))] == [ticket_id]
    assert _kill_backends(name) >= 1
    assert [t.id for t in desk.tickets(TicketQuery(limit=5))] == [ticket_id]


@pytest.mark.pg
def test_postgresql_connection_lost_before_commit(pg_desk: tuple[Setup, str]) -> None:
    setup, name = pg_desk
    desk, agent = setup.workspace.desk, setup.people["a1"]
    ticket_id = desk.open("crash", agent, {"summary": "dies mid-commit"}).id
    hot: Any = setup.workspace.store._hot  # type: ignore[attr-defined]
    insert_events = hot._insert_events

    def then_lose_the_server(cursor: Any, events: list[Any]) -> None:
        insert_events(cursor, events)
        _kill_backends(name)

    hot._insert_events = then_lose_the_server
    with pytest.raises(DatabaseUnavailable):
        desk.fire(ticket_id, "take", agent)
    hot._insert_events = insert_events
    assert _state(setup, ticket_id) == ("new", 1, 1)  # the server rolled it back
    assert len(desk.history(ticket_id)) == 1
    assert desk.fire(ticket_id, "take", agent).state == "working"
    assert check_desk(setup.workspace.store) == []  # type: ignore[arg-type]



@pytest.mark.pg
def test_worker_rides_out_lost_connections(pg_desk: tuple[Setup, str]) -> None:
    """The server drops the worker's connections twice mid-run: it backs off, reconnects,
    and fires every due timer exactly once."""
    setup, name = pg_desk
    desk, agent = setup.workspace.desk, setup.people["a1"]
    for number in range(6):
        ticket = desk.open("crash", agent, {"summary": f"t{number}"})
        desk.fire(ticket.id, "take", agent)  # arms 'park' in PT2S and an SLA clock
    url = setup.workspace.url
    later = VirtualClock(datetime.now(UTC) + timedelta(days=1))
    connections: list[int] = []

    def connect() -> Any:
        worker_desk = open_workspace(url, clock=later).desk
        worker_desk.store.load_ticket(1)  # connected...
        if len(connections) < 2:
            connections.append(_kill_backends(name))  # ...and the server goes away
        return worker_desk

    waits: list[float] = []
    worker = TimerWorker(connect=connect, name="w", transient=UNAVAILABLE,
                         backoff=Backoff(first=0.25, ceiling=0.5), sleep=waits.append,
                         report=lambda text: None)
    handled = worker.run(once=True)
    assert waits == [0.25, 0.5] and all(connections)
    parked = [t for t in setup.workspace.desk.tickets(TicketQuery()) if t.state == "parked"]
    assert len(parked) == 6 and handled >= 6
    assert check_desk(setup.workspace.store) == []  # type: ignore[arg-type]


class Connects:
    """A counting wrapper around the real ``connect`` of ``ticketflow worker``.

    Remembers every store it opened and which of them were closed: SQLAlchemy announces an
    engine's disposal (``SqlStore.close`` disposes its engine) with ``engine_disposed``.
    """

    def __init__(self, url: str, clock: VirtualClock,
                 then: Any = lambda count: None) -> None:
        self.url, self.clock, self.then = url, clock, then
        self.stores: list[Any] = []
        self.closed: list[int] = []

    def __call__(self) -> Any:
        workspace = open_workspace(self.url, clock=self.clock)
        number, engine = len(self.stores), workspace.store.engine  # type: ignore[attr-defined]
        event.listen(engine, "engine_disposed", lambda engine: self.closed.append(number))
        self.stores.append(workspace.store)
        workspace.desk.store.load_ticket(1)  # connected...
        self.then(len(self.stores))  # ...and perhaps the server goes away
        return workspace.desk

    def check_only_the_last_is_open(self) -> None:
        assert self.closed == list(range(len(self.stores) - 1))
        for old in self.stores[:-1]:  # nothing left checked out of an old pool
            assert old.engine.pool.checkedout() == 0
        assert self.stores[-1].engine.pool.checkedout() == 1  # the worker's own connection
        self.stores[-1].close()


@pytest.mark.pg
def test_worker_closes_the_store_it_gave_up_on(pg_desk: tuple[Setup, str]) -> None:
    """Each reconnect used to leave the old store's pool open: one leak per failure.

    Its connections are dead (the server terminated them): closing it does not fail."""
    setup, name = pg_desk
    desk, agent = setup.workspace.desk, setup.people["a1"]
    for number in range(3):
        desk.fire(desk.open("crash", agent, {"summary": f"t{number}"}).id, "take", agent)
    later = VirtualClock(datetime.now(UTC) + timedelta(days=1))
    killed: list[int] = []

    def lose_the_server(count: int) -> None:  # on each of the first three connections
        if count <= 3:
            killed.append(_kill_backends(name))

    connects = Connects(setup.workspace.url, later, then=lose_the_server)
    reports: list[str] = []
    worker = TimerWorker(connect=connects, name="w", transient=UNAVAILABLE,
                         backoff=Backoff(first=0.01, ceiling=0.01), sleep=lambda wait: None,
                         report=reports.append)
    assert worker.run(once=True) >= 3
    assert len(connects.stores) == 4 and all(killed)
    assert not [text for text in reports if "could not close" in text], reports
    connects.check_only_the_last_is_open()
    parked = [t for t in desk.tickets(TicketQuery()) if t.state == "parked"]
    assert len(parked) == 3
    assert check_desk(setup.workspace.store) == []  # type: ignore[arg-type]


def test_worker_closes_the_sqlite_store_it_gave_up_on(sqlite_desk: tuple[Setup, Path]) -> None:
    """Another process holds the write lock past the busy timeout: the worker closes the
    store it waited on, and fires on a new one once the lock is gone."""
    setup, path = sqlite_desk
    desk, agent = setup.workspace.desk, setup.people["a1"]
    desk.fire(desk.open("crash", agent, {"summary": "locked"}).id, "take", agent)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        connects = Connects(setup.workspace.url,
                            VirtualClock(datetime.now(UTC) + timedelta(days=1)))

        def let_go_of_the_lock(wait: float) -> None:
            holder.communicate("")

        worker = TimerWorker(connect=connects, name="w", transient=UNAVAILABLE,
                             sleep=let_go_of_the_lock, report=lambda text: None)
        assert worker.run(once=True) >= 1
    finally:
        if holder.poll() is None:
            holder.communicate("")
    assert len(connects.stores) == 2
    connects.check_only_the_last_is_open()
    assert desk.ticket(1).state == "parked"
    assert check_desk(setup.workspace.store) == []  # type: ignore[arg-type]
