"""API tokens: random bearer secrets, stored only as SHA-256 hashes, with roles.

A token is ``secrets.token_urlsafe(32)``; the store keeps its SHA-256 hex
digest, so a copy of the store reveals no usable token. Roles are ordered:
``viewer`` reads, ``editor`` also writes, ``dispatcher`` also files, dispatches
and closes cases, ``admin`` may do everything.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from geo.errors import ValidationError
from geo.ledger import ROLES
from geo.store.base import Store, TokenRecord

__all__ = ["ROLES", "hash_token", "issue_token", "role_allows", "verify_token"]

_MAX_NAME = 100


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest stored for ``token``.

    Examples
    --------
    >>> len(hash_token("abc"))
    64
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(store: Store, *, name: str, role: str) -> tuple[str, TokenRecord]:
    """Create a token for ``name`` with ``role``; return the secret (shown once) and its record.

    Raises
    ------
    ValidationError
        For an unknown role or a blank or overlong name.
    """
    if role not in ROLES:
        raise ValidationError(f"role {role!r} is not one of {', '.join(ROLES)}", field="role")
    clean = str(name).strip()
    if not clean or len(clean) > _MAX_NAME:
        raise ValidationError(f"name must be 1 to {_MAX_NAME} characters", field="name")
    secret = secrets.token_urlsafe(32)
    return secret, store.tokens.add(name=clean, role=role, token_hash=hash_token(secret))


def verify_token(store: Store, token: str) -> TokenRecord | None:
    """Return the valid (not revoked) record of ``token``, or None."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    record = store.tokens.find(digest)
    if record is None or record.revoked_at is not None:
        return None
    # The lookup is by hash; the compare guards against a store matching loosely.
    return record if hmac.compare_digest(record.hash, digest) else None


def role_allows(role: str, needed: str) -> bool:
    """Return whether ``role`` grants what ``needed`` does (viewer < editor < dispatcher < admin).

    Examples
    --------
    >>> role_allows("admin", "editor"), role_allows("viewer", "editor")
    (True, False)
    """
    if role not in ROLES or needed not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)
