"""The benchmarks run (tiny sizes): speed is measured by ``make bench``, never asserted here."""

from __future__ import annotations

import json
from pathlib import Path

from bench import hotpath, memory, record
from engine.core.model import TicketQuery
from storage import open_store
from tests.storage.samples import chain_problems


def test_the_hot_path_benchmark_measures_every_variant(tmp_path: Path) -> None:
    figures = hotpath.measure(synchronous="NORMAL", transitions=12, runs=1, tickets=3,
                              directory=tmp_path)
    assert set(figures["samples"]) == {"raw", "engine", "store"}
    assert min(figures["raw_sqlite_tps"], figures["engine_tps"], figures["store_tps"]) > 0
    assert abs(figures["ratio"] - figures["engine_tps"] / figures["raw_sqlite_tps"]) < 0.01


def test_the_raw_yardstick_writes_what_the_engine_writes(tmp_path: Path) -> None:
    path = tmp_path / "raw.db"
    ids = hotpath.prepare(path, synchronous="NORMAL", tickets=2)
    with hotpath.raw_cycle(path, "NORMAL", ids) as cycle:
        cycle.run(4)
    with open_store(hotpath.url(path, "NORMAL")) as store:
        for ticket_id in ids:
            journal = store.events(ticket_id)
            assert chain_problems(journal) == []
            assert store.load_ticket(ticket_id).head == journal[-1].hash


def test_the_memory_benchmark_fires_once_on_every_ticket(tmp_path: Path) -> None:
    result = memory.memory_growth(tmp_path, tickets=40, warmup=10)
    assert result["fired"] == 40
    with open_store(hotpath.url(tmp_path / "memory.db", "NORMAL")) as store:
        assert store.count_tickets(TicketQuery(state="pending")) == 40
        assert chain_problems(store.events(40)) == []


def test_results_go_to_latest_json_and_a_dated_line(tmp_path: Path) -> None:
    mode = {"engine_tps": 900, "raw_sqlite_tps": 1000, "ratio": 0.9, "store_ratio": 0.95}
    results = {"date": "2026-11-27T07:00:00+00:00", "machine": "2 CPUs",
               "modes": {"NORMAL": mode, "FULL": mode},
               "memory": {"growth_mb": 1.5, "tickets": 100_000}}
    latest, log = tmp_path / "latest.json", tmp_path / "performance.md"
    record.save(results, latest=latest, log=log)
    record.save(results, latest=latest, log=log)
    assert json.loads(latest.read_text())["modes"]["FULL"]["ratio"] == 0.9
    text = log.read_text()
    assert text.startswith("# Performance")
    assert text.count("| 2026-11-27 07:00 | 900/s / 1,000/s (0.90×)") == 2
