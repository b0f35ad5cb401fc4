"""Staff accounts: argon2 password hashes, roles, sign-in with lockout, browser sessions.

The store keeps only what it is given (:class:`geo.store.base.AccountBook`);
every rule is here, once for both stores:

* passwords are hashed with argon2id (``argon2-cffi``'s defaults, which
  follow RFC 9106's second recommended profile) and re-hashed at sign-in
  when those defaults change;
* a sign-in is refused for ``lock_minutes`` once ``max_failures`` failures
  fall inside that window, for the account or for the address it came from;
  while locked, attempts are not counted again, so a lock ends on time;
* an unknown username costs the same argon2 work as a wrong password and
  gets the same answer;
* a session is a random cookie whose SHA-256 the store keeps, with its own
  CSRF secret; it ends after ``idle_minutes`` without use, at sign-out, and
  for every session of an account that is disabled or gets a new password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geo.errors import NotFoundError, SignInRefusedError, ValidationError
from geo.ledger import now_utc
from geo.store.base import AccountRecord, SessionRecord, Store
from geo.tokens import ROLES

__all__ = [
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "SignInPolicy",
    "add_account",
    "check_username",
    "close_session",
    "disable_account",
    "enable_account",
    "hash_password",
    "open_session",
    "resume_session",
    "set_password",
    "set_role",
    "sign_in",
    "verify_password",
]

MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 takes any length; this bounds the work one request can ask for
_MAX_USERNAME = 64
_USERNAME_MARKS = "._-@"
_TOUCH_EVERY_S = 60  # a session's seen_at is written at most once a minute
# Failures under a name no account can have (check_username refuses it) are
# counted here: storable in both stores, and shared by no real account.
_UNUSABLE_NAME = "<not a username>"
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
_log = logging.getLogger("zonewatch.signin")


@dataclass(frozen=True)
class SignInPolicy:
    """How many failures lock sign-in, and for how long.

    Attributes
    ----------
    max_failures : int
        Failures inside the window that lock the account or the address.
    lock_minutes : int
        The window, and so the longest a lock lasts.
    """

    max_failures: int = 10
    lock_minutes: int = 15


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password`` (salted: two calls differ).

    Raises
    ------
    ValidationError
        When the password is shorter than 8 or longer than 1024 characters,
        or holds a lone surrogate that UTF-8 cannot encode.
    """
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password")
    if not _encodable(password):
        raise ValidationError("a password must be text that UTF-8 can encode", field="password")
    return _HASHER.hash(password)


def _encodable(text: str) -> bool:
    # A lone surrogate (from undecodable input) would make argon2 raise UnicodeEncodeError.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether ``password`` matches ``password_hash`` (False for a malformed hash)."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD or not _encodable(password):
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_username(username: str) -> str:
    """Return ``username`` stripped, or raise ValidationError.

    A username has 1 to 64 characters: letters of any script, digits and
    ``. _ - @`` (it is typed at a sign-in form, shown in the history and put
    into links, so no spaces, slashes or markup).

    Examples
    --------
    >>> check_username(" 张三 "), check_username("li.si@zy")
    ('张三', 'li.si@zy')
    """
    clean = str(username).strip()
    if not 1 <= len(clean) <= _MAX_USERNAME or not all(
            ch.isalnum() or ch in _USERNAME_MARKS for ch in clean):
        raise ValidationError(
            f"a username has 1 to {_MAX_USERNAME} letters, digits or . _ - @", field="username")
    return clean


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"role {role!r} is not one of {', '.join(ROLES)}", field="role")
    return role


def add_account(store: Store, *, username: str, role: str, password: str) -> AccountRecord:
    """Open a staff account.

    Raises
    ------
    ValidationError
        For a bad username, role or password.
    DuplicateIdError
        When the username is taken.
    """
    name, checked_role = check_username(username), _check_role(role)
    return store.accounts.add(username=name, role=checked_role,
                              password_hash=hash_password(password))


def _existing(store: Store, username: str) -> AccountRecord:
    account = store.accounts.find(str(username).strip())
    if account is None:
        raise NotFoundError(f"no account named {username!r}")
    return account


def set_password(store: Store, username: str, password: str) -> AccountRecord:
    """Give an account a new password and end all its sessions."""
    account = _existing(store, username)
    updated = store.accounts.update(account.username, password_hash=hash_password(password))
    store.accounts.close_sessions(account.id)
    return updated


def set_role(store: Store, username: str, role: str) -> AccountRecord:
    """Change an account's role (it applies from the account's next request)."""
    account = _existing(store, username)
    return store.accounts.update(account.username, role=_check_role(role))


def disable_account(store: Store, username: str) -> AccountRecord:
    """Stop an account from signing in and end all its sessions (idempotent)."""
    account = _existing(store, username)
    if account.disabled_at is None:
        account = store.accounts.update(account.username, disabled_at=now_utc())
    store.accounts.close_sessions(account.id)
    return account


def enable_account(store: Store, username: str) -> AccountRecord:
    """Let a disabled account sign in again."""
    account = _existing(store, username)
    return store.accounts.update(account.username, enable=True)


def _utc(moment: dt.datetime | None) -> dt.datetime:
    # A naive time is taken as UTC; an aware one in another zone is converted,
    # so stored times and idle arithmetic are all in UTC.
    if moment is None:
        return dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    moment = _utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def sign_in(store: Store, *, username: str, password: str, address: str,
            policy: SignInPolicy | None = None,
            now: dt.datetime | None = None) -> AccountRecord:
    """Return the account when ``password`` is its password and sign-in is not locked.

    Parameters
    ----------
    store : Store
        Where the accounts are.
    username, password : str
        As typed.
    address : str
        Where the attempt came from (the client's IP address).
    policy : SignInPolicy, optional
        Lockout rule; the default is 10 failures in 15 minutes.
    now : datetime, optional
        The time of the attempt, for tests (a naive time is taken as UTC).

    Raises
    ------
    SignInRefusedError
        ``reason="locked"`` with ``retry_after_s`` when too many failures are
        recent; ``reason="invalid"`` for a wrong, unknown or disabled account.
    """
    rule = policy or SignInPolicy()
    moment = _utc(now)
    name, usable = _typed_name(username)
    shown = str(username).strip()[:_MAX_USERNAME]  # %r below: control characters escaped
    window_start = _iso(moment - dt.timedelta(minutes=rule.lock_minutes))
    by_user, by_address = store.accounts.count_failures(
        username=name, address=address, since=window_start)
    if max(by_user, by_address) >= rule.max_failures:
        _log.warning("sign-in locked: user=%r address=%s failures=%d/%d",
                     shown, address, by_user, by_address)
        raise SignInRefusedError("locked", retry_after_s=rule.lock_minutes * 60)
    account = store.accounts.find(name) if usable else None
    good = verify_password(account.password_hash if account else _DUMMY_HASH, password)
    if account is None or not good or account.disabled_at is not None:
        store.accounts.add_failure(username=name, address=address, at=_iso(moment))
        _log.warning("sign-in failed: user=%r address=%s known=%s",
                     shown, address, account is not None)
        raise SignInRefusedError("invalid")
    store.accounts.clear_failures(account.username)
    if _HASHER.check_needs_rehash(account.password_hash):
        account = store.accounts.update(account.username, password_hash=_HASHER.hash(password))
    _log.info("signed in: user=%r address=%s", account.username, address)
    return account


def _typed_name(username: str) -> tuple[str, bool]:
    """Return the name failures are counted under, and whether it can name an account.

    A name check_username refuses is never looked up: cutting it short could
    match another account, and a NUL would be refused by PostgreSQL.
    """
    try:
        return check_username(username), True
    except ValidationError:
        return _UNUSABLE_NAME, False


def _session_hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8")).hexdigest()


def open_session(store: Store, account: AccountRecord, *,
                 now: dt.datetime | None = None) -> tuple[str, SessionRecord]:
    """Start a session for ``account``; return the cookie value (never stored) and its record."""
    cookie = secrets.token_urlsafe(32)
    at = _iso(_utc(now))
    record = SessionRecord(session_hash=_session_hash(cookie), account_id=account.id,
                           csrf=secrets.token_urlsafe(32), created_at=at, seen_at=at)
    store.accounts.open_session(record)
    return cookie, record


def resume_session(store: Store, cookie: str, *, idle_minutes: float,
                   now: dt.datetime | None = None,
                   ) -> tuple[AccountRecord, SessionRecord] | None:
    """Return the account and session of a cookie, or None when it is unknown or has ended.

    A session idle for longer than ``idle_minutes``, or whose account is
    disabled or gone, is closed here.
    """
    if not cookie or len(cookie) > 200:
        return None
    digest = _session_hash(cookie)
    session = store.accounts.find_session(digest)
    if session is None:
        return None
    moment = _utc(now)
    idle_s = (moment - _parse(session.seen_at)).total_seconds()
    account = store.accounts.by_id(session.account_id)
    if idle_s > idle_minutes * 60 or account is None or account.disabled_at is not None:
        store.accounts.close_session(digest)
        return None
    if idle_s > _TOUCH_EVERY_S:
        store.accounts.touch_session(digest, _iso(moment))
    return account, session


def close_session(store: Store, cookie: str) -> None:
    """End the session of a cookie (nothing happens for an unknown one)."""
    if cookie and len(cookie) <= 200:
        store.accounts.close_session(_session_hash(cookie))
