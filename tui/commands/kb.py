"""``ticketflow kb``: the knowledge base — write, publish, retire, read, search and count
articles (docs/kb.md).

An article's text comes from a file or from stdin (``-``): Markdown with a YAML front matter
(``title:``, ``tags:``, ``items:``). ``kb show KB-1 --source`` prints it back in that form,
so an edit is ``kb show KB-1 --source > a.md``, change it, ``kb edit KB-1 a.md``.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from engine.audit.export import month
from engine.core.errors import BadRequest
from engine.desk.articles import Article, Articles, Content, Version, from_ticket, parse_content
from engine.desk.reading import check_read
from engine.process import yamlfile
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import print_json, print_table, safe
from tui.session import acting_account, reading_account
from tui.wiring import Workspace, open_workspace

Source = Annotated[str, typer.Argument(
    help="The article's text: a Markdown file with a YAML front matter, or - for stdin.")]
Ident = Annotated[str, typer.Argument(help="The article: KB-<number>.")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help=(
        "The knowledge base: write, publish, retire, read and search articles; how often "
        "each solved a ticket."))
    for name, command in (("add", add), ("edit", edit), ("publish", publish),
                          ("retire", retire), ("show", show), ("list", list_),
                          ("history", history), ("stats", stats), ("draft", draft)):
        group.command(name)(command)
    app.add_typer(group, name="kb")


def articles_of(workspace: Workspace) -> Articles:
    return Articles(workspace.store, workspace.desk.clock)


def read_source(source: str) -> Content:
    """An article's content from a file, or stdin for ``-``."""
    if source == "-":
        text = sys.stdin.read(yamlfile.MAX_BYTES + 1)
        if len(text) > yamlfile.MAX_BYTES:
            raise BadRequest(f"<stdin>: longer than {yamlfile.MAX_BYTES} characters")
        return parse_content(text, "<stdin>")
    return parse_content(yamlfile.read_text(source), source)


def add(source: Source, db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Write a new article (a draft) from a file or stdin."""
    content = read_source(source)
    workspace = open_workspace(db)
    done(articles_of(workspace).add(content, acting_account(workspace, actor)), "added", json)


def edit(ident: Ident, source: Source, db: Db = DEFAULT_DB, actor: Actor = None,
         json: Json = False,
         version: Annotated[int | None, typer.Option(
             help="The version the edit is based on: refused if another came since.")] = None
         ) -> None:
    """A new version of an article from a file or stdin (a published one becomes a draft)."""
    content = read_source(source)
    workspace = open_workspace(db)
    article = articles_of(workspace).edit(ident, content, acting_account(workspace, actor),
                                          version)
    done(article, "edited", json)


def publish(ident: Ident, db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Publish an article's latest version (supervisor or admin): the desk may solve with it."""
    workspace = open_workspace(db)
    done(articles_of(workspace).publish(ident, acting_account(workspace, actor)), "published",
         json)


def retire(ident: Ident, db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Retire an article (supervisor or admin): no ticket is solved with it any more."""
    workspace = open_workspace(db)
    done(articles_of(workspace).retire(ident, acting_account(workspace, actor)), "retired",
         json)


def done(article: Article, what: str, json: bool) -> None:
    if json:
        print_json(article.as_dict(body=False))
    else:
        typer.echo(f"{article.id} {what}: version {article.latest.version}, {article.status}")


def show(ident: Ident, db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False,
         version: Annotated[int | None, typer.Option(help="An older version.")] = None,
         source: Annotated[bool, typer.Option(
             "--source", help="Print the text as kb edit reads it (front matter, body).")
         ] = False) -> None:
    """An article (or one of its versions): its status, tags, items and Markdown body."""
    workspace = open_workspace(db)
    reading_account(workspace, actor)
    articles = articles_of(workspace)
    article = articles.get(ident)
    shown = article.latest if version is None else articles.version(ident, version)
    if source:
        typer.echo(shown.content.source(), nl=False)
    elif json:
        print_json({**article.as_dict(), **version_record(shown)})
    else:
        content = shown.content
        typer.echo(f"{article.id} {safe(content.title, 200)}")
        typer.echo(f"  {article.status}; version {shown.version} of {article.latest.version}"
                   f", by {shown.author} at {shown.at.isoformat()}")
        typer.echo(f"  tags: {', '.join(map(safe, content.tags)) or '-'}; items: "
                   f"{', '.join(map(safe, content.items)) or '-'}")
        typer.echo("")
        typer.echo(content.body, nl=False)


def version_record(version: Version) -> dict[str, Any]:
    content = version.content
    return {"version": version.version, "title": content.title, "body": content.body,
            "tags": list(content.tags), "items": list(content.items),
            "author": version.author, "at": version.at.isoformat()}


def list_(words: Annotated[list[str] | None, typer.Argument(
              help="Words the articles must have (title, body, tags).", show_default=False)
          ] = None,
          status: Annotated[str | None, typer.Option(
              help="Only articles of this status: draft, published or retired.")] = None,
          limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
          db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """List articles (with words: those having every word), newest first."""
    workspace = open_workspace(db)
    reading_account(workspace, actor)
    found = articles_of(workspace).find(status=status, words=tuple(words or ()), limit=limit)
    if json:
        print_json([article.as_dict(body=False) for article in found])
        return
    print_articles(found)


def print_articles(found: list[Article]) -> None:
    print_table(["id", "status", "version", "title", "tags"],
                [[a.id, a.status, a.latest.version, a.title, ",".join(a.latest.content.tags)]
                 for a in found])


def history(ident: Ident, db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """An article's versions (who wrote each, when) and who added, edited, published and
    retired it (the admin journal's entries)."""
    workspace = open_workspace(db)
    reading_account(workspace, actor)
    articles = articles_of(workspace)
    versions, trail = articles.versions(ident), articles.trail(ident)
    if json:
        print_json({"versions": [version_record(v) for v in versions],
                    "trail": [{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor,
                               "kind": e.kind, "version": e.details.get("version")}
                              for e in trail]})
        return
    print_table(["version", "author", "at", "title"],
                [[v.version, v.author, v.at.isoformat(), v.content.title] for v in versions])
    print_table(["seq", "at", "actor", "change", "version"],
                [[e.seq, e.at.isoformat(), e.actor, e.kind.removeprefix("article_"),
                  e.details.get("version")] for e in trail])


def stats(period: Annotated[str, typer.Option(help="The month: YYYY-MM (UTC).")],
          db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """How often each article solved a ticket in a month, most used first."""
    start, end = month(period)
    workspace = open_workspace(db)
    reading_account(workspace, actor)
    rows = articles_of(workspace).usage(start, end)
    if json:
        print_json({"period": period, "articles": [row.as_dict() for row in rows]})
        return
    print_table(["article", "status", "solved", "tickets", "title"],
                [[r.id, r.status, r.solved, ",".join(f"#{t}" for t in r.tickets), r.title]
                 for r in rows])


def draft(ticket: Annotated[int, typer.Option(
              "--from", help="A resolved ticket: its summary, description and resolution "
                             "fill the draft.")],
          db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Write a draft article from a resolved ticket (edit it, then publish it)."""
    workspace = open_workspace(db)
    account = acting_account(workspace, actor)
    found = check_read(account, workspace.desk.ticket(ticket))
    if not found.data.get("resolution"):
        raise BadRequest(f"ticket #{ticket} is not resolved: it has no resolution to draft "
                         "from")
    done(articles_of(workspace).add(from_ticket(found), account), "drafted", json)
