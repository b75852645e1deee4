"""The desk as a whole: processes, the assessment, and who the token acts as."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import Acting, Checked
from api.schemas import Me, Name, ProcessDetail, ProcessOut, process_out
from engine.desk.reading import READ_ALL, require_any

router = APIRouter(tags=["desk"], route_class=Checked)


@router.get("/me", response_model=Me)
def me(request: Request, caller: Acting) -> Me:
    """The account this token acts as."""
    actor = caller.account()
    return Me(username=actor.username, display_name=actor.display_name, roles=actor.roles,
              post=actor.post, token=request.state.token)


@router.get("/processes", response_model=list[ProcessOut])
def processes(caller: Acting) -> list[ProcessOut]:
    """Every deployed process version, by name and number."""
    caller.account()
    return [process_out(v) for v in caller.services.desk.versions()]


@router.get("/processes/{name}", response_model=ProcessDetail)
def process(name: Name, caller: Acting) -> ProcessDetail:
    """A process's current version: its states, triggers and fields."""
    caller.account()
    version = caller.services.store.current_version(name)
    spec = caller.services.desk.compiled(version.digest).spec
    return ProcessDetail(**process_out(version).model_dump(), title=spec.title,
                         states=list(spec.states),
                         triggers=sorted({t.trigger for t in spec.transitions}),
                         fields=list(spec.fields))


@router.get("/assessment", response_model=dict[str, Any])
def assessment(
    caller: Acting,
    period: Annotated[str, Query(pattern=r"^\d{4}(-\d{2})?$",
                                 description="A month YYYY-MM or a year YYYY.")],
    post: Annotated[list[Name] | None, Query(description="Only these posts.")] = None,
) -> dict[str, Any]:
    """The assessment per post (as `ticketflow assess --json`): admin, auditor or supervisor."""
    require_any(caller.account(), READ_ALL, "the assessment")
    report: dict[str, Any] = caller.services.assessor.report(period, post).as_dict()
    return report
