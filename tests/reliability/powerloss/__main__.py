"""``python -m tests.reliability.powerloss``: a power-loss campaign (or, internally, its child)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tests.reliability.powerloss.campaign import (
    ShimUnavailable,
    build_shim,
    child,
    report,
    run_campaign,
)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1], Path(argv[2]), int(argv[3]), int(argv[4]))
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m tests.reliability.powerloss",
        description="Kill a desk process at random, rebuild the disks a power loss could "
                    "leave, check each.")
    parser.add_argument("--rounds", type=int, default=20, help="kills (default 20)")
    parser.add_argument("--images", type=int, default=6, help="images per kill (default 6)")
    parser.add_argument("--synchronous", default="FULL",
                        choices=["OFF", "NORMAL", "FULL", "EXTRA"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="powerloss-") as name:
        directory = Path(name)
        try:
            shim = build_shim(directory)
        except ShimUnavailable as exc:
            print(exc, file=sys.stderr)
            return 2
        (directory / "run").mkdir()
        started = time.perf_counter()
        campaign = run_campaign(directory / "run", shim, rounds=args.rounds,
                                images=args.images, synchronous=args.synchronous,
                                seed=args.seed)
        print(report(campaign, time.perf_counter() - started))
    for problem in campaign.problems + campaign.not_a_tail:
        print(problem)
    return 1 if campaign.problems else 0


if __name__ == "__main__":
    sys.exit(main())
