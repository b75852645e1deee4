"""The API benchmark runs (tiny sizes): speed is measured by ``make bench``, not asserted."""

from __future__ import annotations

from pathlib import Path

from bench import api
from engine.core.model import TicketQuery
from tui.wiring import open_workspace


def test_the_api_bench_measures_both_variants_on_the_same_desk(tmp_path: Path) -> None:
    figures = api.run(tmp_path, tickets=4, runs=1)
    assert figures["direct_per_s"] > 0 and figures["api_per_s"] > 0
    for client in ("", "httpx_"):  # the lean client, then httpx
        assert abs(figures[client + "overhead"]
                   - (figures[client + "api_ms"] / figures["direct_ms"] - 1)) < 0.01
        assert figures[client + "server_cpu_ms"] > 0 and figures[client + "client_cpu_ms"] > 0
    assert figures["direct_cpu_ms"] > 0
    for variant in ("direct", "api"):
        workspace = open_workspace(f"sqlite:///{tmp_path / f'{variant}-0.db'}")
        tickets = workspace.desk.tickets(TicketQuery(process="service_desk", limit=10))
        assert [t.state for t in tickets] == ["received"] * (4 if variant == "direct" else 8)
        workspace.store.close()


def test_the_api_bench_records_its_line(tmp_path: Path) -> None:
    log = tmp_path / "performance.md"
    figures = {"tickets": 300, "runs": 3, "direct_per_s": 120, "api_per_s": 100,
               "direct_ms": 8.3, "api_ms": 10.0, "overhead": 0.205, "direct_cpu_ms": 1.5,
               "server_cpu_ms": 1.9, "client_cpu_ms": 0.6, "cpu_overhead": 0.267}
    api.save(figures, "2026-12-06T11:00:00", "2 CPUs", log=log)
    text = log.read_text(encoding="utf-8")
    assert api.SECTION in text.splitlines(keepends=True)
    assert ("| 2026-12-06 11:00 | 300 × 3 | 120/s (8.3 ms) | 100/s (10.0 ms) | +20% | "
            "1.5 / 1.9 / 0.6 ms | 2 CPUs |") in text
    figures |= {"httpx_api_per_s": 50, "httpx_api_ms": 20.0, "httpx_overhead": 1.41,
                "httpx_server_cpu_ms": 2.1, "httpx_client_cpu_ms": 0.9}
    api.save(figures, "2026-12-06T12:00:00", "2 CPUs", log=log)
    assert ("| 2026-12-06 12:00 | 300 × 3 | 120/s (8.3 ms) | 100/s (10.0 ms); httpx 50/s "
            "(20.0 ms) | +20%; httpx +141% | 1.5 / 1.9 / 0.6 ms; httpx — / 2.1 / 0.9 ms | "
            "2 CPUs |") in log.read_text(encoding="utf-8")
