"""Configuration items on the command line: load YAML and CSV, list, show with impact, and
tickets routed by their item — on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.desk.test_cli import ADMIN, AGENT, ROOT, Cli

ITEMS = """\
items:
  - {name: san-1, kind: storage, owner_group: hardware_platform, vendor: StoreCo,
     criticality: critical}
  - {name: db-host-1, kind: server, owner_group: hardware_platform, vendor: ServerCo,
     runs_on: [san-1]}
  - {name: billing-db, kind: database, owner_group: system_software, vendor: DBCo,
     criticality: high, runs_on: [db-host-1]}
"""
CSV = """\
name,kind,owner_group,vendor,criticality,runs_on,depends_on
billing-app,application,business_software,,high,,billing-db;db-host-1
"""


@pytest.fixture
def cli(shared_store_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Cli:
    cli = Cli(shared_store_url, capsys, monkeypatch)
    assert cli("init", "--admin", "root", "--password-stdin", stdin=ADMIN + "\n")[0] == 0
    assert cli("deploy", str(ROOT / "flows"), user="root", password=ADMIN)[0] == 0
    code, _, err = cli("users", "add", "ann", "--role", "agent", "--post", "service_desk",
                       "--password-stdin", stdin=AGENT + "\n", user="root", password=ADMIN)
    assert code == 0, err
    (tmp_path / "items.yaml").write_text(ITEMS, encoding="utf-8")
    (tmp_path / "items.csv").write_text(CSV, encoding="utf-8")
    return cli


def test_items_load_list_and_show_impact(cli: Cli, tmp_path: Path) -> None:
    assert len(cli.json("items", "load", str(tmp_path / "items.yaml"), user="root",
                        password=ADMIN)) == 3
    code, out, _ = cli("items", "load", str(tmp_path / "items.csv"), user="root",
                       password=ADMIN)
    assert (code, out) == (0, f"1 item(s) loaded from {tmp_path / 'items.csv'}\n")
    listed = {i["name"]: i for i in cli.json("items", "list", user="ann", password=AGENT)}
    assert listed["billing-app"]["depends_on"] == ["billing-db", "db-host-1"]
    assert listed["billing-app"]["vendor"] is None
    shown = cli.json("items", "show", "san-1", user="ann", password=AGENT)
    assert [(i["item"], i["via"]) for i in shown["impact"]] == [
        ("db-host-1", ["runs_on san-1"]),
        ("billing-app", ["runs_on san-1", "depends_on db-host-1"]),
        ("billing-db", ["runs_on san-1", "runs_on db-host-1"])]
    loads = [e for e in cli.json("audit", "log", user="root", password=ADMIN)
             if e["kind"] == "items_loaded"]
    assert [(e["actor"], len(e["details"]["items"])) for e in loads] == [("root", 3),
                                                                          ("root", 1)]
    code, _, err = cli("items", "show", "nothing", user="ann", password=AGENT)
    assert (code, err) == (2, "error: no configuration item 'nothing'\n")


def test_tickets_are_routed_by_their_item(cli: Cli, tmp_path: Path) -> None:
    cli.json("items", "load", str(tmp_path / "items.yaml"), user="root", password=ADMIN)
    first = cli.json("open", "fault_escalation", "--set", "summary=slow queries", "--set",
                     "level=2", "--set", "item=billing-db", user="ann", password=AGENT)
    assert (first["data"]["group"], first["data"]["vendor_name"]) == ("system_software",
                                                                      "DBCo")
    given = cli.json("open", "fault_escalation", "--set", "summary=db down", "--set",
                     "level=1", "--set", "item=billing-db", "--set", "group=hardware_platform",
                     user="ann", password=AGENT)
    assert given["data"]["group"] == "hardware_platform"  # what the opener gives stands
    shown = cli.json("items", "show", "billing-db", user="ann", password=AGENT)
    assert {t["id"] for t in shown["open_tickets"]} == {first["id"], given["id"]}
    code, out, _ = cli("items", "show", "billing-db", user="ann", password=AGENT)
    assert code == 0 and out.startswith("item billing-db (database, high; owner system_software")
    assert f"#{given['id']} desk_tier db down" in out and "impact: none" in out
    code, _, err = cli("open", "fault_escalation", "--set", "summary=x", "--set", "level=1",
                       "--set", "item=nothing", user="ann", password=AGENT)
    assert (code, err) == (2, "error: no configuration item 'nothing'\n")


@pytest.mark.parametrize(("text", "message"), [
    ("items: [{name: a, kind: k, criticality: extreme}]", "item 1: criticality: "),
    ("items: [{name: a, kind: k, runs_on: [b]}]", "item 'a' runs_on 'b', which is not an item"),
    ("items: [{name: a, kind: k}, {name: a, kind: k}]", "items named twice: a"),
    ("things: []", "a mapping with a list 'items:'"),
])
def test_bad_item_files_change_nothing(cli: Cli, tmp_path: Path, text: str,
                                       message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    code, _, err = cli("items", "load", str(path), user="root", password=ADMIN)
    assert code == 2 and message in err and err.count("\n") == 1
    assert cli.json("items", "list", user="root", password=ADMIN) == []


def test_only_admins_load_items(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("items", "load", str(tmp_path / "items.yaml"), user="ann",
                       password=AGENT)
    assert code == 3 and "admin" in err
