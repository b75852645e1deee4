"""The scenario step that writes a knowledge-base article: ``article``.

``{article: KB-1, as: sue, title: Reset a password}`` adds an article (its body defaults to
its title) and publishes it, so that later steps may solve tickets with it; ``status:
draft`` leaves it a draft, ``status: retired`` retires it. Articles are numbered in the order
a scenario writes them, from KB-1: the step names the id it expects, and a different id is a
mismatch (the scenario reads as the desk numbers).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.core.errors import ServiceError
from engine.desk.articles import Articles, Content
from engine.scenarios.steps import (
    AccountName,
    Fail,
    Mismatch,
    Plan,
    Stage,
    StepKind,
    StepModel,
    register_step,
)


class ArticleStep(StepModel):
    article: str = Field(pattern=r"^KB-[0-9]{1,9}$")
    """The id the new article gets: KB-1 for a scenario's first article, and so on."""
    actor: AccountName = Field(alias="as")
    """Who writes it (and publishes or retires it: a supervisor or admin)."""
    title: str = Field(min_length=1, max_length=200)
    body: str | None = None
    """Its Markdown (default: its title)."""
    tags: list[str] | None = None
    status: Literal["draft", "published", "retired"] = "published"


def check_article(plan: Plan, step: ArticleStep, fail: Fail) -> None:
    plan.account(step.actor, ("as",), fail)


def run_article(stage: Stage, step: ArticleStep) -> None:
    articles = Articles(stage.desk.store, stage.clock)
    actor = stage.accounts[step.actor]
    content = Content(step.title, (step.body or step.title).rstrip("\n") + "\n",
                      tuple(step.tags or ()))
    try:
        article = articles.add(content, actor)
        if step.status != "draft":
            articles.publish(article.id, actor)
        if step.status == "retired":
            articles.retire(article.id, actor)
    except ServiceError as exc:
        raise Mismatch(f"expected the article written, got {exc.kind}: {exc}") from None
    if article.id != step.article:
        raise Mismatch(f"expected the new article to be {step.article}, got {article.id}")


register_step("article", StepKind(ArticleStep, run_article, check_article, acts=True))
