"""Answers built once: the JSON of a response model, without validating it again.

A route's ``response_model`` documents its answer in the OpenAPI; when the route returns a
plain dict, FastAPI validates it against that model and then serialises it, and for a plain
(threaded) route it hands the validation to a worker thread of its own — a second
hand-over per request. What the engine built needs no second validation: :func:`answer`
serialises the model with pydantic's own serialiser (the same bytes FastAPI would send)
and the route returns that response as it is.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel


def answer(model: type[BaseModel], content: dict[str, Any], *, status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """``content`` (the model's fields, nested models as models) as the JSON of ``model``."""
    body = model.__pydantic_serializer__.to_json(model.model_construct(**content))
    return Response(body, status_code=status, headers=headers, media_type="application/json")
