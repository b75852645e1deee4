"""The requester's page, ``/r/{token}``: a ticket's status and public replies, its Confirm
and Not solved buttons, and plain HTML error pages for links that are not valid — in-process,
and served by `ticketflow serve` to headless Chromium, where the requester clicks Confirm."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.wiring import open_services
from engine.desk.links import LinkSigner
from engine.desk.requesters import Requesters
from tests.api.conftest import ApiWorld, start_server
from tests.articles import publish_articles
from tests.browser import Tab, chromium, needs_chromium, tab

SECRET = b"the requester page's secret, long enough"
MEI = "mei@example.com"
SUMMARY = "<script>alert('x')</script> VPN drops"
REPLY = "We sent you a new VPN profile."
INTERNAL = "internal: check the firewall log first"


@dataclass
class Waiting:
    """A ticket of MEI's waiting for her confirmation, and her link to it."""

    ticket: int
    requester: int
    token: str

    @property
    def page(self) -> str:
        return f"/r/{self.token}"


def waiting_ticket(world: ApiWorld, email: str = MEI) -> Waiting:
    """Open a ticket for ``email``, solve it at the desk and reply: it waits for her."""
    desk, ann = world.workspace.desk, world.people["ann"]
    people = Requesters(desk)
    ticket = people.open_for("service_desk", email, ann,
                             {"summary": SUMMARY, "description": "It drops every hour."})
    desk.fire(ticket.id, "receive", ann)
    publish_articles(desk.store, 12)
    desk.fire(ticket.id, "solve_at_desk", ann,
              data={"knowledge_article": "KB-12", "resolution": "a new VPN profile"})
    desk.record(ticket.id, "comment", ann, note=INTERNAL)
    desk.fire(ticket.id, "reply", ann, note=REPLY)
    requester = people.of_ticket(ticket.id)
    assert requester is not None and requester.id is not None
    token = LinkSigner(SECRET).token_for(ticket.id, requester.id, desk.clock.now(),
                                         timedelta(days=1))
    return Waiting(ticket.id, requester.id, token)


@pytest.fixture
def page_client(world: ApiWorld) -> Iterator[TestClient]:
    services = open_services(world.url, link_secret=SECRET)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        yield client
    services.close()


def test_the_page_shows_status_and_public_replies_escaped(world: ApiWorld,
                                                         page_client: TestClient) -> None:
    waiting = waiting_ticket(world)
    answer = page_client.get(waiting.page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    assert "Waiting for the customer to confirm" in html
    assert REPLY in html and "It drops every hour." in html
    assert INTERNAL not in html
    assert "<script>" not in html and "&lt;script&gt;alert(" in html
    assert 'id="confirm"' in html and 'id="reopen"' in html
    assert f'action="{waiting.token}/confirm"' in html
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"


def test_confirm_closes_the_ticket_as_the_requester(world: ApiWorld,
                                                   page_client: TestClient) -> None:
    waiting = waiting_ticket(world)
    pressed = page_client.post(f"{waiting.page}/confirm", follow_redirects=False)
    assert pressed.status_code == 303
    assert pressed.headers["location"] == f"../{waiting.token}"
    again = page_client.get(waiting.page)
    assert "Closed (finished)" in again.text and 'id="confirm"' not in again.text
    assert "You confirmed that it is solved" in again.text
    ticket = world.workspace.desk.ticket(waiting.ticket)
    assert (ticket.state, ticket.is_open) == ("closed", False)
    last = world.workspace.desk.history(waiting.ticket)[-1]
    assert (last.actor, last.kind, last.trigger) == (
        f"requester:{waiting.requester}", "fire", "confirm")


def test_not_solved_sends_the_ticket_back_to_handling(world: ApiWorld,
                                                      page_client: TestClient) -> None:
    waiting = waiting_ticket(world)
    pressed = page_client.post(f"{waiting.page}/reopen")
    assert pressed.status_code == 200 and "Being handled" in pressed.text
    assert "You said that it is not solved" in pressed.text
    ticket = world.workspace.desk.ticket(waiting.ticket)
    assert (ticket.state, ticket.data["reopened"]) == ("handling", 1)
    assert world.workspace.desk.history(waiting.ticket)[-1].actor == (
        f"requester:{waiting.requester}")


def test_a_used_link_answers_again_with_a_page_and_changes_nothing(
        world: ApiWorld, page_client: TestClient) -> None:
    waiting = waiting_ticket(world)
    assert page_client.post(f"{waiting.page}/confirm").status_code == 200
    version = world.workspace.desk.ticket(waiting.ticket).version
    for answer in ("confirm", "reopen"):
        refused = page_client.post(f"{waiting.page}/{answer}")
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("text/html")
        assert "not waiting for" in refused.text
        assert f'href="../{waiting.token}"' in refused.text
    assert world.workspace.desk.ticket(waiting.ticket).version == version


def bad_tokens(world: ApiWorld, waiting: Waiting) -> dict[str, tuple[str, int, str]]:
    """Links that must not work: name → (token, status, what the page says)."""
    signer = LinkSigner(SECRET)
    now = world.workspace.desk.clock.now()
    ticket, requester, expiry, signature = waiting.token.split(".")
    other = waiting_ticket(world, "li@example.com")
    return {
        "forged": (f"{ticket}.{requester}.{int(expiry) + 1}.{signature}", 403,
                   "not made by this desk"),
        "foreign": (LinkSigner(b"another desk's secret, long enough").token_for(
            waiting.ticket, waiting.requester, now, timedelta(days=1)), 403,
            "not made by this desk"),
        "expired": (signer.token(waiting.ticket, waiting.requester, now - timedelta(1)),
                    403, "the link expired at"),
        "damaged": ("<b>bold", 403, "the link is damaged"),
        "not ASCII digits": ("\u0661.\u0662.\u0663.abc", 403, "the link is damaged"),
        "another's ticket": (signer.token_for(other.ticket, waiting.requester, now,
                                              timedelta(days=1)), 403, "not its requester"),
        "no ticket": (signer.token_for(999, waiting.requester, now, timedelta(days=1)), 403,
                      "not its requester"),
    }


def test_links_that_are_not_valid_get_an_error_page_and_change_nothing(
        world: ApiWorld, page_client: TestClient) -> None:
    waiting = waiting_ticket(world)
    for name, (token, status, says) in bad_tokens(world, waiting).items():
        for method, path in (("GET", ""), ("POST", "/confirm"), ("POST", "/reopen")):
            answer = page_client.request(method, f"/r/{token}{path}")
            assert answer.status_code == status, (name, method, answer.text)
            assert answer.headers["content-type"].startswith("text/html"), name
            assert says in answer.text, (name, answer.text)
            assert "Traceback" not in answer.text and "<b>" not in answer.text
    ticket = world.workspace.desk.ticket(waiting.ticket)
    assert (ticket.state, ticket.version) == ("confirming", 5)


def test_other_refusals_under_r_are_pages_too(world: ApiWorld, client: TestClient,
                                              page_client: TestClient) -> None:
    waiting = waiting_ticket(world)
    wrong_method = page_client.get(f"{waiting.page}/confirm")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("text/html")
    unknown = page_client.get(f"{waiting.page}/elsewhere/deeper")
    assert unknown.status_code == 404 and "<h1>" in unknown.text
    no_secret = client.get(waiting.page)  # a desk served without a link secret
    assert no_secret.status_code == 404 and "no requester links" in no_secret.text
    assert client.get("/api/v1/nothing").headers["content-type"] == "application/json"


def page_text(endpoint: str, url: str, press: str | None, deadline: float) -> list[str]:
    """The text of the page at ``url`` in Chromium, and after clicking the button ``press``
    with the mouse (when given), the text of the page the browser lands on."""

    async def visit() -> list[str]:
        async with tab(endpoint) as browser:
            await browser.call("Page.enable")
            await browser.call("Page.navigate", url=url)
            await browser.event("Page.loadEventFired", deadline)
            texts = [await _text(browser)]
            if press is not None:
                await _click(browser, f"#{press}")
                await browser.event("Page.loadEventFired", deadline)
                texts.append(await _text(browser))
            return texts

    return asyncio.run(visit())


async def _text(browser: Tab) -> str:
    found = await browser.call("Runtime.evaluate", returnByValue=True, expression=(
        "document.title + '\\n' + document.body.innerText + '\\nscripts: ' + "
        "document.scripts.length"))
    return str(found["result"]["value"])


async def _click(browser: Tab, selector: str) -> None:
    """A left click with the mouse in the middle of the element."""
    box = (await browser.call("Runtime.evaluate", returnByValue=True, expression=(
        f"(() => {{ const r = document.querySelector('{selector}')"
        ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
                              ))["result"]["value"]
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        await browser.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                           button="left", clickCount=1)


@needs_chromium
def test_the_requester_confirms_in_a_headless_browser(world: ApiWorld,
                                                      tmp_path: Path) -> None:
    deadline = time.monotonic() + 120
    waiting = waiting_ticket(world)
    config = tmp_path / "desk.toml"
    config.write_text(f'[mail]\naddress = "desk@desk.test"\nbase_url = "http://desk.test"\n'
                      f'link_secret = "{SECRET.decode()}"\n', encoding="utf-8")
    server = start_server(world.url, tmp_path / "serve.log", "--config", str(config))
    try:
        with chromium(tmp_path / "chromium", deadline) as endpoint:
            before, after = page_text(endpoint, server.base + waiting.page, "confirm",
                                      deadline)
        forged = httpx.post(f"{server.base}/r/{waiting.token[:-2]}xx/reopen", timeout=30)
    finally:
        server.stop()
    assert before.startswith(f"Request #{waiting.ticket}: <script>alert('x')</script>")
    assert "Waiting for the customer to confirm" in before and REPLY in before
    assert "Confirm: it is solved" in before and "Not solved" in before
    assert before.endswith("scripts: 0") and INTERNAL not in before
    assert "Closed (finished)" in after and "You confirmed that it is solved" in after
    assert "Confirm: it is solved" not in after
    assert forged.status_code == 403 and "not made by this desk" in forged.text
    events = world.workspace.desk.history(waiting.ticket)
    assert (events[-1].actor, events[-1].trigger) == (f"requester:{waiting.requester}",
                                                      "confirm")
    assert world.workspace.desk.ticket(waiting.ticket).state == "closed"
