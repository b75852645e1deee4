"""Passwords: the rule (seed §5), argon2 hashes at the policy's cost, and the dummy hash.

The cost is the product's, always: RFC 9106's low-memory profile. No setting or
environment variable lowers it; a hash made with weaker parameters (an older policy) is
rehashed at its account's next successful login. Only the test suite swaps :data:`HASHER`
for a cheap one, from its own fixtures, which the product never imports.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from engine.core.errors import BadRequest

MIN_LENGTH = 6
POLICY = profiles.RFC_9106_LOW_MEMORY
"""The argon2id parameters every password is hashed with (t=3, 64 MiB, p=4)."""
HASHER = PasswordHasher.from_parameters(POLICY)
_CLASSES: dict[str, Callable[[str], bool]] = {
    "upper-case letters": str.isupper, "lower-case letters": str.islower,
    "digits": str.isdigit, "special characters": lambda c: not c.isalnum(),
}
_DUMMY: dict[int, str] = {}


def password_problem(password: str) -> str | None:
    """Why a password breaks the rule, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    kinds = [name for name, test in _CLASSES.items() if any(test(c) for c in password)]
    if len(kinds) < 2:
        return ("a password must combine at least two of upper-case letters, lower-case "
                "letters, digits and special characters")
    return None


def hash_password(password: str) -> str:
    """The argon2 hash of a password that follows the rule; BadRequest otherwise."""
    problem = password_problem(password)
    if problem:
        raise BadRequest(problem)
    return HASHER.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the hash (constant-time in argon2)."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with parameters other than the policy's."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


def spend_like_a_check(password: str) -> None:
    """Spend what checking a password costs, for an account that does not exist.

    Checked against a dummy hash made with the same parameters, so that how long a login
    takes does not tell whether the account exists.
    """
    dummy = _DUMMY.get(id(HASHER))
    if dummy is None:
        dummy = _DUMMY[id(HASHER)] = HASHER.hash(secrets.token_urlsafe(16))
    password_matches(dummy, password)


def random_password(length: int = 20) -> str:
    """A strong random password (for temporary vendor accounts and rotations)."""
    alphabet = string.ascii_letters + string.digits + "-_.!@#%"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if password_problem(candidate) is None:
            return candidate
