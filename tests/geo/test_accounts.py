"""The rules of staff accounts: passwords, usernames, sign-in with lockout, sessions.

Every time is given with ``now=`` so the lockout and idle boundaries are
checked to the millisecond; rules that touch the store run on both stores.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from geo.accounts import (
    SignInPolicy,
    add_account,
    check_username,
    close_session,
    disable_account,
    enable_account,
    hash_password,
    open_session,
    resume_session,
    set_password,
    set_role,
    sign_in,
    verify_password,
)
from geo.errors import DuplicateIdError, NotFoundError, SignInRefusedError, ValidationError
from geo.store import Store
from tests._support.stores import STORE_KINDS, make_store

PASSWORD = "correct horse 42"
POLICY = SignInPolicy(max_failures=3, lock_minutes=15)
T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
HERE, THERE = "10.0.0.1", "10.0.0.2"


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each kind holding the editor ``alice`` (password PASSWORD)."""
    for opened in make_store(request.param, tmp_path):
        add_account(opened, username="alice", role="editor", password=PASSWORD)
        yield opened


def at(seconds: float) -> dt.datetime:
    """The time ``seconds`` after T0."""
    return T0 + dt.timedelta(seconds=seconds)


def attempt(store: Store, username: str, password: str, *, when: dt.datetime,
            address: str = HERE) -> str:
    """Sign in and return "ok" or the reason it was refused."""
    try:
        sign_in(store, username=username, password=password, address=address,
                policy=POLICY, now=when)
    except SignInRefusedError as exc:
        return str(exc.reason)
    return "ok"


# -- passwords and usernames ------------------------------------------------------------


@pytest.mark.parametrize(("length", "accepted"), [(7, False), (8, True), (1024, True),
                                                  (1025, False)],
                         ids=["7-refused", "8-ok", "1024-ok", "1025-refused"])
def test_password_length_bounds(length: int, accepted: bool) -> None:
    password = "p" * length
    if not accepted:
        with pytest.raises(ValidationError, match="8 to 1024 characters") as info:
            hash_password(password)
        assert info.value.field == "password"
        return
    assert verify_password(hash_password(password), password)


def test_a_password_utf8_cannot_encode_is_refused_not_a_crash() -> None:
    with pytest.raises(ValidationError, match="UTF-8"):
        hash_password("\ud800" * 8)  # a lone surrogate, as undecodable stdin gives
    assert verify_password(hash_password(PASSWORD), "\ud800" * 8) is False


@pytest.mark.parametrize(
    "username",
    ["al ice", "al\u3000ice", "a\tb", "a\x00b", "a\x07b", "a\u200bb", "a" * 65, "", "   ",
     "<b>x</b>", "a/b", "a?b#c", "o'brien"],
    ids=["space", "ideographic-space", "tab", "nul", "bell", "zero-width-space", "65-chars",
         "empty", "blank", "markup", "slash", "query", "quote"],
)
def test_bad_usernames_are_refused(username: str) -> None:
    with pytest.raises(ValidationError, match="1 to 64 letters, digits") as info:
        check_username(username)
    assert info.value.field == "username"


@pytest.mark.parametrize(("typed", "kept"),
                         [("张三", "张三"), ("a" * 64, "a" * 64), (" bob ", "bob"),
                          ("li.si_2-zy@ZY", "li.si_2-zy@ZY")],
                         ids=["chinese", "64-chars", "stripped", "punctuation"])
def test_good_usernames_are_kept(typed: str, kept: str) -> None:
    assert check_username(typed) == kept


def test_hashes_are_argon2id_salted_and_hold_no_password() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and second.startswith("$argon2id$")
    assert first != second  # salted: the same password hashes differently
    assert first.split("$")[4] != second.split("$")[4]  # the salt field itself differs
    assert PASSWORD not in first
    assert verify_password(first, PASSWORD) and verify_password(second, PASSWORD)
    assert not verify_password(first, PASSWORD + "!")
    assert not verify_password("not a hash", PASSWORD)  # malformed: False, no exception


def test_accounts_are_stored_with_their_hash_role_and_cleaned_name(store: Store) -> None:
    added = add_account(store, username=" 张三 ", role="viewer", password=PASSWORD)
    stored = store.accounts.find("张三")
    assert stored == added and stored.role == "viewer"
    assert stored.password_hash.startswith("$argon2id$")
    assert verify_password(stored.password_hash, PASSWORD)
    with pytest.raises(DuplicateIdError):
        add_account(store, username="张三", role="admin", password=PASSWORD)
    with pytest.raises(ValidationError, match="role 'owner'"):
        add_account(store, username="bob", role="owner", password=PASSWORD)
    with pytest.raises(ValidationError, match="password"):
        add_account(store, username="bob", role="viewer", password="short")
    assert [a.username for a in store.accounts.records()] == ["alice", "张三"]


def test_set_role_and_enable_change_the_stored_account(store: Store) -> None:
    assert set_role(store, "alice", "admin").role == "admin"
    assert store.accounts.find("alice").role == "admin"  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="role"):
        set_role(store, "alice", "root")
    disabled = disable_account(store, "alice")
    assert disabled.disabled_at is not None
    assert disable_account(store, "alice").disabled_at == disabled.disabled_at  # idempotent
    assert enable_account(store, "alice").disabled_at is None
    for change in (lambda: set_role(store, "nobody", "viewer"),
                   lambda: set_password(store, "nobody", PASSWORD),
                   lambda: disable_account(store, "nobody")):
        with pytest.raises(NotFoundError, match="nobody"):
            change()


# -- sign-in ----------------------------------------------------------------------------


def test_sign_in_returns_the_account_for_the_right_password(store: Store) -> None:
    account = sign_in(store, username="alice", password=PASSWORD, address=HERE, now=T0)
    assert account == store.accounts.find("alice")
    assert sign_in(store, username=" alice ", password=PASSWORD, address=HERE,
                   now=T0).username == "alice"


def test_wrong_unknown_and_disabled_are_refused_alike(store: Store) -> None:
    add_account(store, username="bob", role="viewer", password=PASSWORD)
    disable_account(store, "bob")
    refusals = []
    for username, password in [("alice", PASSWORD + "x"), ("nobody", PASSWORD),
                               ("bob", PASSWORD), ("Alice", PASSWORD), ("", PASSWORD)]:
        with pytest.raises(SignInRefusedError) as info:
            sign_in(store, username=username, password=password, address=HERE, now=T0)
        refusals.append((info.value.reason, str(info.value), info.value.retry_after_s))
    assert refusals == [("invalid", "wrong username or password", None)] * 5


@pytest.mark.parametrize("typed", ["a" * 64 + "zzz", "a" * 64 + " x", "a" * 64 + "\x00"],
                         ids=["overlong", "overlong-with-space", "nul"])
def test_a_name_that_is_no_username_never_matches_an_account(store: Store, typed: str) -> None:
    # Cutting the typed name to 64 characters used to sign in as the 64-character account.
    add_account(store, username="a" * 64, role="admin", password=PASSWORD)
    assert attempt(store, typed, PASSWORD, when=T0) == "invalid"
    assert store.accounts.count_failures(username="a" * 64, address=HERE,
                                         since="2026-01-01T00:00:00.000Z") == (0, 1)


def test_three_failures_lock_even_the_right_password_until_the_window_passes(
        store: Store) -> None:
    assert [attempt(store, "alice", "wrong password", when=at(s), address=f"10.1.0.{s}")
            for s in range(3)] == ["invalid"] * 3
    with pytest.raises(SignInRefusedError) as info:
        sign_in(store, username="alice", password=PASSWORD, address=THERE, policy=POLICY,
                now=at(3))
    assert info.value.reason == "locked" and str(info.value) == "sign-in locked for now"
    assert info.value.retry_after_s is not None and 0 < info.value.retry_after_s <= 15 * 60
    # Attempts while locked are not counted, so the lock still ends on time.
    assert attempt(store, "alice", "wrong password", when=at(300)) == "locked"
    assert attempt(store, "alice", "wrong password", when=at(600)) == "locked"
    assert store.accounts.count_failures(username="alice", address=HERE,
                                         since="2026-03-01T07:00:00.000Z") == (3, 0)
    # At T0 + 15 min the first failure is still inside the window (inclusive bound) ...
    assert attempt(store, "alice", PASSWORD, when=at(15 * 60)) == "locked"
    # ... a millisecond later it is out, and the right password passes again.
    assert attempt(store, "alice", PASSWORD, when=at(15 * 60 + 0.001)) == "ok"


def test_an_address_lock_blocks_other_names_there_but_not_the_names_elsewhere(
        store: Store) -> None:
    add_account(store, username="bob", role="viewer", password=PASSWORD)
    for second, name in enumerate(["alice", "mallory", "eve"]):
        assert attempt(store, name, "wrong password", when=at(second)) == "invalid"
    assert attempt(store, "bob", PASSWORD, when=at(10)) == "locked"  # same address
    assert attempt(store, "alice", PASSWORD, when=at(11), address=THERE) == "ok"
    assert attempt(store, "bob", PASSWORD, when=at(12), address=THERE) == "ok"


def test_a_success_clears_the_users_failures(store: Store) -> None:
    for second in range(2):
        assert attempt(store, "alice", "wrong password", when=at(second)) == "invalid"
    assert attempt(store, "alice", PASSWORD, when=at(2), address=THERE) == "ok"
    assert store.accounts.count_failures(username="alice", address=THERE,
                                         since="2026-03-01T07:00:00.000Z") == (0, 0)
    for second in range(3, 5):
        assert attempt(store, "alice", "wrong password", when=at(second),
                       address=THERE) == "invalid"
    # Four failures in the window, but two were before the success: not locked.
    assert attempt(store, "alice", PASSWORD, when=at(5), address=THERE) == "ok"


def test_times_in_other_zones_or_naive_count_as_the_same_instant(store: Store) -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    for second in range(3):
        when = at(second).astimezone(beijing)
        assert attempt(store, "alice", "wrong password", when=when) == "invalid"
    naive = at(15 * 60).replace(tzinfo=None)
    assert attempt(store, "alice", PASSWORD, when=naive) == "locked"
    assert attempt(store, "alice", PASSWORD, when=naive + dt.timedelta(seconds=1)) == "ok"


def test_the_sign_in_log_names_user_and_address_never_the_password(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for store in make_store("gpkg", tmp_path):
        add_account(store, username="alice", role="editor", password=PASSWORD)
        caplog.set_level(logging.INFO, logger="zonewatch.signin")
        secret = "hunter2-secret-guess"
        for second in range(3):
            attempt(store, "alice", secret, when=at(second), address="192.0.2.7")
        attempt(store, "alice", PASSWORD, when=at(5), address="192.0.2.7")
        attempt(store, "bob", PASSWORD, when=at(6), address="192.0.2.9")
        attempt(store, "alice", PASSWORD, when=at(20 * 60), address="192.0.2.8")
    records = [r for r in caplog.records if r.name == "zonewatch.signin"]
    messages = [r.getMessage() for r in records]
    failed = [m for m in messages if m.startswith("sign-in failed")]
    assert len(failed) == 4
    assert all("user='alice'" in m and "192.0.2.7" in m for m in failed[:3])
    assert "user='bob'" in failed[3] and "192.0.2.9" in failed[3]
    assert any(m.startswith("sign-in locked") and "192.0.2.7" in m for m in messages)
    assert any(m.startswith("signed in") and "192.0.2.8" in m for m in messages)
    assert all(r.levelno == logging.WARNING for r in records
               if r.getMessage().startswith("sign-in"))
    for text in messages + [repr(r.args) for r in records]:
        assert secret not in text and PASSWORD not in text


def test_an_old_hash_is_upgraded_at_sign_in(store: Store) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    store.accounts.update("alice", password_hash=weak)
    account = sign_in(store, username="alice", password=PASSWORD, address=HERE, now=T0)
    assert account.password_hash != weak and "m=65536" in account.password_hash
    assert store.accounts.find("alice") == account
    assert verify_password(account.password_hash, PASSWORD)


# -- sessions ---------------------------------------------------------------------------


def _signed_in(store: Store, *, when: dt.datetime = T0) -> str:
    account = store.accounts.find("alice")
    assert account is not None
    cookie, _ = open_session(store, account, now=when)
    return cookie


def test_the_cookie_resumes_its_session_and_a_wrong_one_nothing(store: Store) -> None:
    account = store.accounts.find("alice")
    assert account is not None
    cookie, record = open_session(store, account, now=T0)
    found = resume_session(store, cookie, idle_minutes=30, now=at(10))
    assert found is not None
    assert found[0] == account and found[1] == record
    assert found[1].csrf and found[1].csrf != cookie
    assert resume_session(store, cookie + "x", idle_minutes=30, now=at(10)) is None
    assert resume_session(store, "", idle_minutes=30, now=at(10)) is None
    assert resume_session(store, "x" * 5000, idle_minutes=30, now=at(10)) is None
    close_session(store, cookie)
    assert resume_session(store, cookie, idle_minutes=30, now=at(11)) is None


def test_the_store_keeps_the_cookies_sha256_never_the_cookie(
        store: Store, tmp_path: Path) -> None:
    account = store.accounts.find("alice")
    assert account is not None
    cookie, record = open_session(store, account, now=T0)
    digest = hashlib.sha256(cookie.encode("utf-8")).hexdigest()
    assert record.session_hash == digest
    assert store.accounts.find_session(digest) == record
    assert store.accounts.find_session(cookie) is None
    assert cookie not in (record.session_hash, record.csrf, record.created_at, record.seen_at)
    for file in tmp_path.iterdir():  # the GeoPackage and its sidecars hold no cookie
        assert cookie.encode("ascii") not in file.read_bytes()


def test_a_session_idle_too_long_ends_and_leaves_the_store(store: Store) -> None:
    cookie = _signed_in(store)
    digest = hashlib.sha256(cookie.encode("utf-8")).hexdigest()
    assert resume_session(store, cookie, idle_minutes=30, now=at(30 * 60)) is not None
    late = _signed_in(store)
    late_digest = hashlib.sha256(late.encode("utf-8")).hexdigest()
    assert resume_session(store, late, idle_minutes=30, now=at(30 * 60 + 1)) is None
    assert store.accounts.find_session(late_digest) is None
    # The first one was used at T0 + 30 min, so it lives on from there.
    assert store.accounts.find_session(digest).seen_at == "2026-03-01T08:30:00.000Z"  # type: ignore[union-attr]
    assert resume_session(store, cookie, idle_minutes=30, now=at(55 * 60)) is not None


def test_use_within_a_minute_does_not_rewrite_seen_at(store: Store) -> None:
    cookie = _signed_in(store)
    digest = hashlib.sha256(cookie.encode("utf-8")).hexdigest()
    assert resume_session(store, cookie, idle_minutes=30, now=at(30)) is not None
    assert store.accounts.find_session(digest).seen_at == "2026-03-01T08:00:00.000Z"  # type: ignore[union-attr]
    assert resume_session(store, cookie, idle_minutes=30, now=at(90)) is not None
    assert store.accounts.find_session(digest).seen_at == "2026-03-01T08:01:30.000Z"  # type: ignore[union-attr]


def test_a_disabled_accounts_session_ends(store: Store) -> None:
    cookie = _signed_in(store)
    store.accounts.update("alice", disabled_at="2026-03-01T08:00:01.000Z")  # only the flag
    assert resume_session(store, cookie, idle_minutes=30, now=at(5)) is None
    digest = hashlib.sha256(cookie.encode("utf-8")).hexdigest()
    assert store.accounts.find_session(digest) is None
    enable_account(store, "alice")
    assert resume_session(store, cookie, idle_minutes=30, now=at(6)) is None  # ended for good


@pytest.mark.parametrize("end", ["set_password", "disable_account"])
def test_a_new_password_or_disabling_ends_every_session(store: Store, end: str) -> None:
    add_account(store, username="bob", role="viewer", password=PASSWORD)
    bob = store.accounts.find("bob")
    assert bob is not None
    others, _ = open_session(store, bob, now=T0)
    cookies = [_signed_in(store), _signed_in(store)]
    if end == "set_password":
        set_password(store, "alice", "a brand new password")
        assert attempt(store, "alice", PASSWORD, when=at(1)) == "invalid"
        assert attempt(store, "alice", "a brand new password", when=at(2)) == "ok"
    else:
        disable_account(store, "alice")
    for cookie in cookies:
        digest = hashlib.sha256(cookie.encode("utf-8")).hexdigest()
        assert store.accounts.find_session(digest) is None
        assert resume_session(store, cookie, idle_minutes=30, now=at(3)) is None
    assert resume_session(store, others, idle_minutes=30, now=at(3)) is not None
