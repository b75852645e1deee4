"""Groups on the command line: accounts in groups, a group's queue, assigning within the
group, and the assessment per group — on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.desk.test_cli import ADMIN, AGENT, ROOT, Cli

HANDLERS = {"hw": "hardware_platform", "sw": "system_software"}


@pytest.fixture
def cli(shared_store_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = Cli(shared_store_url, capsys, monkeypatch)
    assert cli("init", "--admin", "root", "--password-stdin", stdin=ADMIN + "\n")[0] == 0
    assert cli("deploy", str(ROOT / "flows"), user="root", password=ADMIN)[0] == 0
    people = [("ann", "service_desk", None), ("rob", "response_group", None),
              *((name, "handling_group", group) for name, group in HANDLERS.items())]
    for name, post, group in people:
        code, _, err = cli("users", "add", name, "--role", "agent", "--post", post,
                           *(("--group", group) if group else ()), "--password-stdin",
                           stdin=AGENT + "\n", user="root", password=ADMIN)
        assert code == 0, err
    return cli


def routed(cli: Cli, group: str) -> int:
    """A fault the response group routed to ``group``; its id."""
    ticket = cli.json("open", "fault_escalation", "--set", "summary=disk failed",
                      "--set", "level=2", user="ann", password=AGENT)["id"]
    cli.json("fire", str(ticket), "hand_up", user="ann", password=AGENT)
    cli.json("fire", str(ticket), "hand_up", "--set", f"group={group}", user="rob",
             password=AGENT)
    return int(ticket)


def test_accounts_queues_and_assigning_by_group(cli: Cli) -> None:
    accounts = {a["username"]: a for a in cli.json("users", "list", user="root",
                                                    password=ADMIN)}
    assert accounts["hw"]["group"] == "hardware_platform" and accounts["ann"]["group"] is None
    disk, kernel = routed(cli, "hardware_platform"), routed(cli, "system_software")
    queue = cli.json("list", "--group", "hardware_platform", user="root", password=ADMIN)
    assert [t["id"] for t in queue] == [disk]
    assert cli.json("list", "--group", "nobody", user="root", password=ADMIN) == []
    code, _, err = cli("assign", str(disk), "sw", user="hw", password=AGENT)
    assert code == 3 and "works in the group system_software, not hardware_platform" in err
    assert cli.json("claim", str(disk), user="hw", password=AGENT)["assignee"] == "hw"
    code, out, _ = cli("show", str(kernel), user="sw", password=AGENT)
    assert code == 0 and "post=handling_group" in out and "  group: system_software" in out
    assert cli("users", "group", "sw", "hardware_platform", user="root", password=ADMIN)[0] == 0
    assert cli.json("assign", str(disk), "sw", user="hw", password=AGENT)["assignee"] == "sw"
    code, _, err = cli("users", "group", "ann", "x" * 65, user="root", password=ADMIN)
    assert code == 2 and err.startswith("error: a group is 1 to 64")


def test_a_group_must_be_one_the_deployed_processes_divide_the_post_into(cli: Cli) -> None:
    code, _, err = cli("users", "group", "hw", "hardware", user="root", password=ADMIN)
    assert (code, err.strip()) == (2, "error: unknown group 'hardware' at 'handling_group': "
                                      "the groups are business_software, hardware_platform, "
                                      "system_software")
    code, _, err = cli("users", "group", "ann", "front", user="root", password=ADMIN)
    assert (code, err.strip()) == (2, "error: no deployed process divides the post "
                                      "'service_desk' into groups")
    code, _, err = cli("users", "add", "vic", "--role", "agent", "--post", "vendor",
                       "--group", "Acme Storage", "--password-stdin", stdin=AGENT + "\n",
                       user="root", password=ADMIN)
    assert code == 0, err  # vendors are grouped by company: any name
    accounts = {a["username"]: a for a in cli.json("users", "list", user="root",
                                                    password=ADMIN)}
    assert (accounts["hw"]["group"], accounts["vic"]["group"]) == ("hardware_platform",
                                                                    "Acme Storage")


def test_the_assessment_by_group(cli: Cli) -> None:
    for group in ("hardware_platform", "system_software"):
        ticket = routed(cli, group)
        cli.json("fire", str(ticket), "resolve", "--set", "resolution=swapped", user="hw"
                 if group == "hardware_platform" else "sw", password=AGENT)
        cli.json("fire", str(ticket), "confirm", user="ann", password=AGENT)
    period = datetime.now(ZoneInfo("Asia/Taipei")).strftime("%Y-%m")
    report = cli.json("assess", "--period", period, "--by", "group", user="root",
                      password=ADMIN)
    rows = {(g["post"], g["group"]): g for g in report["groups"]}
    assert {key for key in rows if key[0] == "handling_group"} == {
        ("handling_group", "hardware_platform"), ("handling_group", "system_software")}
    assert ("service_desk", None) in rows and ("vendor", None) in rows
    first = {i["indicator"]: i for i in rows["handling_group", "system_software"]["indicators"]}
    assert (first["first_time_resolution_rate"]["numerator"],
            first["first_time_resolution_rate"]["denominator"]) == (1, 1)
    explained = cli.json("assess", "--period", period, "--explain",
                         "first_time_resolution_rate", "--post", "handling_group",
                         "--group", "hardware_platform", user="root", password=ADMIN)
    assert explained["group"] == "hardware_platform" and len(explained["counted"]) == 1
    code, out, _ = cli("assess", "--period", period, "--by", "group", user="root",
                       password=ADMIN)
    assert code == 0 and "hardware_platform" in out
    assert "n/a (0/0)" in out and "None" not in out  # nothing counted: no score, not a word
    code, _, err = cli("assess", "--period", period, "--by", "post", user="root",
                       password=ADMIN)
    assert code == 2 and "'group'" in err
    assert json.loads(cli("assess", "--period", period, "--json", user="root",
                          password=ADMIN)[1]).get("groups") is None
