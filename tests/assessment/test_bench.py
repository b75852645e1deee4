"""The assessment bench writes a journal the audit accepts, and records its line."""

from __future__ import annotations

from pathlib import Path

from bench import assessment
from engine.audit.audit import Audit
from tui.wiring import open_workspace


def test_the_generated_journal_is_legal_and_chained(tmp_path: Path) -> None:
    path = tmp_path / "assessment.db"
    built = assessment.build(path, 2_000)
    assert built["events"] == 2_000
    workspace = open_workspace(f"sqlite:///{path}")
    report = Audit(workspace.store, workspace.desk.clock).verify()
    assert (report.ok, report.events, report.violations) == (True, 2_000, [])
    measured = assessment.measure(path, runs=1, period="2026-01")
    assert measured["tickets_in_period"] > 0


def test_a_result_is_recorded_in_its_own_section(tmp_path: Path) -> None:
    log = tmp_path / "performance.md"
    log.write_text("# Performance\n\nthe hot path\n\n| date | x |\n|---|---|\n| old | 1 |\n")
    result = {"date": "2026-11-27T08:00:00+00:00", "events": 1_000_000, "tickets": 142_000,
              "tickets_in_period": 10_500, "period": "2026-06", "report_seconds": 4.2,
              "report_cpu_seconds": 2.1, "goal_seconds": 5.0, "machine": "2 CPUs"}
    assessment.save(result, log)
    assessment.save({**result, "date": "2026-11-28T08:00:00+00:00"}, log)
    text = log.read_text()
    assert text.startswith("# Performance\n\n## The monthly assessment report\n")
    rows = [line for line in text.splitlines() if line.startswith("| 2026-11-2")]
    assert [row[:18] for row in rows] == ["| 2026-11-27 08:00", "| 2026-11-28 08:00"]
    assert "| 1,000,000 | 142,000 | 10,500 in 2026-06 | 4.2 s | 2.1 s | < 5 s |" in rows[0]
    assert text.rstrip().endswith("| old | 1 |")
