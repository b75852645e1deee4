"""The assessment on the command line: ``ticketflow assess --period YYYY-MM|YYYY``."""

from __future__ import annotations

import csv as csv_module
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from engine.assessment.indicators import Count
from engine.assessment.report import Assessor, Explanation, PostReport, Report, find_assessment
from engine.desk.reading import READ_ALL
from engine.process.durations import format_duration
from tui.i18n import _
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import print_json, print_table
from tui.reasons import why
from tui.session import reading_account
from tui.wiring import open_workspace

REPORT_COLUMNS = ["period", "post", "indicator", "numerator", "denominator", "rate", "score",
                  "weight"]
EXPLAIN_COLUMNS = ["ticket", "side", "at", "measured", "limit", "clock", "why"]


def register(app: typer.Typer) -> None:
    app.command()(assess)


def assess(
    period: Annotated[str, typer.Option("--period", help="A month (YYYY-MM) or a year (YYYY), "
                                        "in the desk's time zone.")],
    post: Annotated[list[str] | None, typer.Option(
        "--post", help="Only this post (repeatable); --explain needs exactly one.")] = None,
    by: Annotated[str | None, typer.Option(
        "--by", metavar="group", help="'group': each group of each post as well (handling "
        "groups, vendors by company).")] = None,
    group: Annotated[str | None, typer.Option(
        "--group", help="With --explain: the tickets counted for this group of --post.")
        ] = None,
    explain: Annotated[str | None, typer.Option(
        "--explain", metavar="INDICATOR",
        help="List the tickets counted on each side of this indicator for --post.")] = None,
    assessment: Annotated[Path | None, typer.Option(
        "--assessment", envvar="TICKETFLOW_ASSESSMENT",
        help="The assessment file (default: flows/assessment.yaml).")] = None,
    db: Db = DEFAULT_DB, json: Json = False,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    actor: Actor = None,
) -> None:
    """The assessment per post: each indicator's numerator, denominator, rate and score."""
    if json and csv:
        raise typer.BadParameter("choose one of --json and --csv", param_hint="--csv")
    if explain is not None and len(post or []) != 1:
        raise typer.BadParameter("--explain needs exactly one --post", param_hint="--post")
    if by not in (None, "group"):
        raise typer.BadParameter("the only grouping is 'group'", param_hint="--by")
    if group is not None and explain is None:
        raise typer.BadParameter("--group goes with --explain (use --by group for every "
                                 "group's figures)", param_hint="--group")
    rules = find_assessment(assessment)
    workspace = open_workspace(db)
    reading_account(workspace, actor, READ_ALL, "the assessment")
    assessor = Assessor(workspace.store, rules)
    if explain is not None:
        show_explanation(assessor.explain(period, explain, (post or [""])[0], group=group),
                         json, csv)
    elif by is not None:
        show_groups(assessor.report(period, post, by_group=True), json, csv)
    else:
        show_report(assessor.report(period, post), json, csv)


def show_report(report: Report, json: bool, csv: bool) -> None:
    """Print a report as JSON, CSV or a table per post."""
    if json:
        print_json(report.as_dict())
        return
    rows = [[report.period.label, post.post, f.indicator, f.numerator, f.denominator,
             "" if f.rate is None else float(f.rate), f.score, f.weight]
            for post in report.posts for f in post.figures]
    if csv:
        totals = [[report.period.label, p.post, "total", "", "", "", p.total,
                   sum(f.weight for f in p.figures if f.weight > 0 and f.score is not None)]
                  for p in report.posts]
        write_csv(REPORT_COLUMNS, rows + totals)
        return
    typer.echo(_("assessment {period} ({zone}, {start}Z to {end}Z)").format(
        period=report.period.label, zone=report.time_zone,
        start=f"{report.period.start:%Y-%m-%d %H:%M}", end=f"{report.period.end:%Y-%m-%d %H:%M}"))
    for post in report.posts:
        typer.echo("")
        typer.echo(_("{post}: total {total}").format(post=post.post, total=post.total_text))
        print_table([_("indicator"), _("counted"), _("of"), _("rate"), _("score"), _("weight")],
                    [[f.indicator, f.numerator, f.denominator, f.rate_text, f.score_text, f.weight]
                     for f in post.figures])


def show_groups(report: Report, json: bool, csv: bool) -> None:
    """Print a report per post and group: JSON rows carry ``post`` and ``group``."""
    groups = report.groups or []
    if json:
        print_json(report.as_dict())
        return
    if csv:
        write_csv(["period", "post", "group", *REPORT_COLUMNS[2:]], [
            [report.period.label, g.post, g.group or "", f.indicator, f.numerator,
             f.denominator, "" if f.rate is None else float(f.rate), f.score, f.weight]
            for g in groups for f in g.figures])
        return
    typer.echo(f"assessment {report.period.label} by group ({report.time_zone})")
    print_table(["post", "group", "total", *(name for name in _indicators(report))],
                [[g.post, g.group or "-", g.total_text,
                  *(_cell(g, name) for name in _indicators(report))] for g in groups])


def _indicators(report: Report) -> list[str]:
    return list(dict.fromkeys(f.indicator for p in report.posts for f in p.figures))


def _cell(report: PostReport, indicator: str) -> str:
    """``score (counted/of)``; empty where the indicator does not apply to the post."""
    found = [f for f in report.figures if f.indicator == indicator]
    return "" if not found else (f"{found[0].score_text} "
                                 f"({found[0].numerator}/{found[0].denominator})")


def show_explanation(explanation: Explanation, json: bool, csv: bool) -> None:
    """Print the tickets behind one figure."""
    figure, zone = explanation.figure, ZoneInfo(explanation.time_zone)
    sides = [("counted", c) for c in explanation.counted] + [
        ("not counted", c) for c in explanation.others]
    if json:
        print_json({"period": explanation.period.label, "post": explanation.post,
                    **({} if explanation.group is None else {"group": explanation.group}),
                    **figure.as_dict(),
                    "counted": [count_record(c, zone) for c in explanation.counted],
                    "others": [count_record(c, zone) for c in explanation.others]})
        return
    if csv:
        write_csv(EXPLAIN_COLUMNS, [[c.ticket_id, side, *count_cells(c, zone)]
                                    for side, c in sides])
        return
    of = explanation.post + ("" if explanation.group is None else f"/{explanation.group}")
    line = _("{indicator} of {post} in {period}: {numerator} of {denominator} ({rate}), score {score}")  # noqa: E501
    typer.echo(line.format(
        indicator=figure.indicator, post=of, period=explanation.period.label,
        numerator=figure.numerator, denominator=figure.denominator, rate=figure.rate_text,
        score=figure.score_text))
    if sides:
        print_table(EXPLAIN_COLUMNS, [[c.ticket_id, side, *count_cells(c, zone)]
                                      for side, c in sides])


def count_record(count: Count, zone: ZoneInfo) -> dict[str, Any]:
    at, measured, limit, clock, reason = count_cells(count, zone)
    return {"ticket": count.ticket_id, "at": at or None, "measured": measured or None,
            "limit": limit or None, "clock": clock or None, "why": reason}


def count_cells(count: Count, zone: ZoneInfo) -> list[str]:
    """A count's when (in the desk's time zone), what was measured, against what, which
    clock, and why it is on its side, as text."""
    return [count.at.astimezone(zone).isoformat() if count.at else "", _duration(count.measured),
            _duration(count.limit), count.clock or "", why(count)]


def _duration(value: timedelta | None) -> str:
    return format_duration(value) if value is not None else ""


def write_csv(headers: list[str], rows: list[list[Any]]) -> None:
    writer = csv_module.writer(sys.stdout, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
