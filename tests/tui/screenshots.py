"""The terminal app's screenshots in docs/images/: copies of the SVG snapshots that
``tests/tui/test_snapshots.py`` keeps (Textual's own export of each screen, on the tests'
fixed desk, clock and terminal size).

After ``pytest tests/tui/test_snapshots.py --snapshot-update``, ``python -m
tests.tui.screenshots`` copies them; ``test_the_docs_screenshots_are_the_snapshots`` fails
while a copy is stale. (docs/images/tui-queue.svg, the README's, is the demo desk's.)
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).resolve().parent / "__snapshots__" / "test_snapshots"
IMAGES = ROOT / "docs" / "images"
SHOTS = {
    "tui-search.svg": "test_search_results",
    "tui-queue-sorted.svg": "test_queue_sorted_by_sla_due",
    "tui-at-risk.svg": "test_at_risk_queue",
    "tui-approvals.svg": "test_approvals_inbox",
    "tui-bulk.svg": "test_bulk_selection",
    "tui-ticket.svg": "test_ticket_view",
    "tui-form.svg": "test_typed_form_with_its_choices_open",
    "tui-editor-find.svg": "test_yaml_editor_finding_a_word",
    "tui-assessment.svg": "test_assessment_and_the_tickets_behind_a_figure",
    "tui-assessment-trend.svg": "test_assessment_trend_per_post",
}
"""docs/images/ name → the snapshot test whose picture it is."""


def source(image: str) -> Path:
    return SNAPSHOTS / f"{SHOTS[image]}.svg"


def main() -> int:
    for image in SHOTS:
        shutil.copyfile(source(image), IMAGES / image)
        print(f"docs/images/{image} ← {source(image).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
