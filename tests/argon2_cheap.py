"""Test-only: argon2 with its cheapest parameters, swapped into the product's hasher.

The product cannot reach this module: it hashes at RFC 9106's cost, always. Tests call
:func:`use_cheap_hasher` (tests/conftest.py does, for the whole suite); a subprocess that
should hash cheaply runs ``python -m tests.argon2_cheap ARGS…`` — the ``ticketflow`` command
line with the cheap hasher.
"""

from __future__ import annotations

import sys

from argon2 import PasswordHasher, profiles

from engine.accounts import passwords

CHEAP = PasswordHasher.from_parameters(profiles.CHEAPEST)


def use_cheap_hasher() -> None:
    """Hash and check passwords with argon2's cheapest parameters in this process."""
    passwords.HASHER = CHEAP


if __name__ == "__main__":
    use_cheap_hasher()
    from tui.cli import run
    sys.exit(run(sys.argv[1:]))
