"""Mail tests share the desk world (every backend) of the desk tests."""

from __future__ import annotations

from tests.desk.conftest import world

__all__ = ["world"]
