"""Checking and converting field values against their declared types."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import re2

from engine.process.spec import FieldSpec

DEFAULT_MAX_LENGTH = 10_000

RE2_REQUIRED = ("patterns are RE2 syntax, without backreferences or lookarounds, so that "
                "matching takes time linear in the value")
"""Why a pattern Python's ``re`` takes may be refused: said with every refusal."""

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # RE2 would print each refusal on stderr; we report it


class PatternError(ValueError):
    """A field's ``pattern`` is not a regular expression RE2 can compile."""


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """The compiled RE2 form of a field's ``pattern``, made once per distinct pattern.

    RE2 matches without backtracking, in time linear in the value: a pattern such as
    ``(a+)+$`` cannot make a ticket change slow, whatever value it is given.
    """
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except UnicodeEncodeError:  # a lone surrogate (YAML refuses one; a hand-made spec may not)
        raise PatternError("not valid Unicode text") from None
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "cannot compile"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(str(reason)) from None


def matches(pattern: str, text: str) -> bool:
    """Whether the whole of ``text`` matches ``pattern`` (RE2 syntax).

    A pattern RE2 refuses (only in a process deployed before patterns were RE2: loading a
    file refuses it) raises ValueError saying so, as any value it should check.
    """
    try:
        regex = compile_pattern(pattern)
    except PatternError as exc:
        raise ValueError(f"cannot be checked: its pattern {pattern!r} is not RE2 syntax "
                         f"({exc})") from None
    try:
        return regex.fullmatch(text) is not None
    except UnicodeEncodeError:  # a lone surrogate: not text RE2 (or a database) can take
        return False


def coerce(spec: FieldSpec, value: Any) -> Any:
    """Return ``value`` converted to the field's type, or raise ValueError saying why."""
    if value is None:
        return None
    converter = _CONVERTERS[spec.type]
    result = converter(spec, value)
    _check_bounds(spec, result)
    return result


def parse_timestamp(value: Any) -> datetime:
    """Parse an ISO 8601 timestamp with a time zone into an aware UTC datetime."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone (add Z or +08:00)")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 is in the year 10000 in UTC
        raise ValueError(f"{value!r} is out of range") from None


def _text(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, bool | dict | list):
        raise ValueError(f"expected text, got {type(value).__name__}")
    text = str(value)
    if "\x00" in text:  # no database text type takes it (PostgreSQL refuses it)
        raise ValueError("contains a NUL character")
    limit = spec.max_length or DEFAULT_MAX_LENGTH
    if len(text) > limit:
        raise ValueError(f"is longer than {limit} characters")
    if spec.pattern and not matches(spec.pattern, text):
        raise ValueError(f"does not match the pattern {spec.pattern!r}")
    return text


def _integer(spec: FieldSpec, value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got true/false")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[-+]?\d{1,18}", value.strip()):
        return int(value)
    raise ValueError(f"expected an integer, got {value!r}")


def _number(spec: FieldSpec, value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number, got true/false")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("expected a finite number")
    return number


def _boolean(spec: FieldSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"expected true or false, got {value!r}")


def _choice(spec: FieldSpec, value: Any) -> Any:
    for choice in spec.choices or []:
        if value == choice or str(value) == str(choice):
            return choice
    raise ValueError(f"must be one of {', '.join(map(str, spec.choices or []))}")


def _timestamp(spec: FieldSpec, value: Any) -> str:
    return parse_timestamp(value).isoformat()


def _account(spec: FieldSpec, value: Any) -> str:
    text = str(value)
    if not re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", text):
        raise ValueError(f"{value!r} is not an account name")
    if spec.pattern and not matches(spec.pattern, text):
        raise ValueError(f"does not match the pattern {spec.pattern!r}")
    return text


def _article(spec: FieldSpec, value: Any) -> str:
    text = str(value).strip()
    if isinstance(value, bool | dict | list) or not re.fullmatch(r"KB-[0-9]{1,9}", text):
        raise ValueError(f"{value!r} is not an article id (KB-<number>)")
    return text


def _check_bounds(spec: FieldSpec, value: Any) -> None:
    if spec.type not in ("integer", "number"):
        return
    if spec.min is not None and value < spec.min:
        raise ValueError(f"must be at least {spec.min:g}")
    if spec.max is not None and value > spec.max:
        raise ValueError(f"must be at most {spec.max:g}")


_CONVERTERS = {
    "text": _text, "integer": _integer, "number": _number, "boolean": _boolean,
    "choice": _choice, "timestamp": _timestamp, "account": _account,
    "article": _article,
}
