"""The AccountBook of both stores: accounts, sign-in failures and sessions as stored.

The book enforces no rule (geo.accounts does); these tests hold each store to
storing and returning exactly what it is given, the same way in both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.errors import DuplicateIdError, NotFoundError
from geo.store import Store, open_store
from geo.store.base import AccountRecord, SessionRecord
from tests._support.stores import STORE_KINDS, make_store

HASH_A = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
HASH_B = "$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0$b3RoZXJoYXNob3RoZXJoYQ"
T0 = "2026-03-01T08:00:00.000Z"


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh empty store, once per store kind."""
    yield from make_store(request.param, tmp_path)


def _reopened(store: Store) -> Store:
    """A second handle on the same store, as the next run of a program opens it."""
    return open_store(store.url, pg_schema=getattr(store, "schema", "zonewatch"))


def _session(digest: str, account: AccountRecord, *, at: str = T0) -> SessionRecord:
    return SessionRecord(session_hash=digest, account_id=account.id, csrf="csrf-" + digest[:8],
                         created_at=at, seen_at=at)


# -- accounts ---------------------------------------------------------------------------


def test_add_returns_the_stored_account_and_find_and_by_id_return_it(store: Store) -> None:
    added = store.accounts.add(username="张三", role="editor", password_hash=HASH_A)
    assert (added.username, added.role, added.password_hash) == ("张三", "editor", HASH_A)
    assert added.disabled_at is None
    assert added.created_at.endswith("Z") and added.created_at[:2] == "20"
    assert store.accounts.find("张三") == added
    assert store.accounts.by_id(added.id) == added
    assert store.accounts.find("张") is None  # usernames compare exactly, no prefix
    assert store.accounts.find("张三 ") is None
    assert store.accounts.by_id(added.id + 1000) is None


def test_records_are_ordered_by_username_and_include_disabled(store: Store) -> None:
    for name in ["carol", "Bob", "alice", "张三"]:
        store.accounts.add(username=name, role="viewer", password_hash=HASH_A)
    store.accounts.update("carol", disabled_at=T0)
    records = store.accounts.records()
    # Code-point order in both stores (not a locale's): upper case before lower case.
    assert [r.username for r in records] == ["Bob", "alice", "carol", "张三"]
    assert [r.disabled_at for r in records] == [None, None, T0, None]
    assert len({r.id for r in records}) == 4


def test_a_taken_username_is_a_duplicate_and_changes_nothing(store: Store) -> None:
    first = store.accounts.add(username="alice", role="viewer", password_hash=HASH_A)
    with pytest.raises(DuplicateIdError, match="alice"):
        store.accounts.add(username="alice", role="admin", password_hash=HASH_B)
    assert store.accounts.records() == [first]


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [({"role": "admin"}, "role", "admin"),
     ({"password_hash": HASH_B}, "password_hash", HASH_B),
     ({"disabled_at": T0}, "disabled_at", T0)],
    ids=["role", "password_hash", "disabled_at"],
)
def test_update_changes_only_the_given_field(store: Store, change: dict[str, str],
                                            field: str, value: str) -> None:
    before = store.accounts.add(username="alice", role="viewer", password_hash=HASH_A)
    other = store.accounts.add(username="bob", role="viewer", password_hash=HASH_A)
    after = store.accounts.update("alice", **change)  # type: ignore[arg-type]
    assert getattr(after, field) == value
    untouched = {"role", "password_hash", "disabled_at", "created_at", "id", "username"} - {field}
    assert {k: getattr(after, k) for k in untouched} == {k: getattr(before, k) for k in untouched}
    assert store.accounts.find("alice") == after
    assert store.accounts.find("bob") == other


def test_update_without_changes_returns_the_account(store: Store) -> None:
    added = store.accounts.add(username="alice", role="viewer", password_hash=HASH_A)
    assert store.accounts.update("alice") == added


def test_enable_clears_disabled_at(store: Store) -> None:
    store.accounts.add(username="alice", role="viewer", password_hash=HASH_A)
    assert store.accounts.update("alice", disabled_at=T0).disabled_at == T0
    enabled = store.accounts.update("alice", enable=True)
    assert enabled.disabled_at is None
    assert store.accounts.find("alice") == enabled
    # Given both, enable wins the same way in both stores.
    both = store.accounts.update("alice", disabled_at=T0, enable=True, role="admin")
    assert (both.disabled_at, both.role) == (None, "admin")


def test_update_of_an_unknown_account_is_not_found(store: Store) -> None:
    store.accounts.add(username="alice", role="viewer", password_hash=HASH_A)
    with pytest.raises(NotFoundError, match="nobody"):
        store.accounts.update("nobody", role="admin")
    with pytest.raises(NotFoundError):
        store.accounts.update("nobody")
    assert store.accounts.find("alice").role == "viewer"  # type: ignore[union-attr]


# -- sign-in failures -------------------------------------------------------------------


def test_failures_are_counted_per_user_and_per_address(store: Store) -> None:
    book = store.accounts
    book.add_failure(username="alice", address="10.0.0.1", at="2026-03-01T08:00:00.000Z")
    book.add_failure(username="alice", address="10.0.0.2", at="2026-03-01T08:01:00.000Z")
    book.add_failure(username="bob", address="10.0.0.1", at="2026-03-01T08:02:00.000Z")
    book.add_failure(username="carol", address="10.0.0.3", at="2026-03-01T08:03:00.000Z")
    assert book.count_failures(username="alice", address="10.0.0.1", since=T0) == (2, 2)
    assert book.count_failures(username="bob", address="10.0.0.2", since=T0) == (1, 1)
    assert book.count_failures(username="carol", address="10.0.0.9", since=T0) == (1, 0)
    assert book.count_failures(username="dave", address="10.0.0.3", since=T0) == (0, 1)
    assert book.count_failures(username="dave", address="10.0.0.9", since=T0) == (0, 0)


def test_the_since_bound_is_inclusive(store: Store) -> None:
    book = store.accounts
    for at in ["2026-03-01T07:59:59.999Z", "2026-03-01T08:00:00.000Z",
               "2026-03-01T08:00:00.001Z"]:
        book.add_failure(username="alice", address="10.0.0.1", at=at)
    assert book.count_failures(username="alice", address="10.0.0.1",
                               since="2026-03-01T08:00:00.000Z") == (2, 2)
    assert book.count_failures(username="alice", address="10.0.0.1",
                               since="2026-03-01T08:00:00.001Z") == (1, 1)
    assert book.count_failures(username="alice", address="10.0.0.1",
                               since="2026-03-01T08:00:00.002Z") == (0, 0)


def test_clear_failures_clears_only_that_user(store: Store) -> None:
    book = store.accounts
    book.add_failure(username="alice", address="10.0.0.1", at=T0)
    book.add_failure(username="alice", address="10.0.0.2", at=T0)
    book.add_failure(username="bob", address="10.0.0.1", at=T0)
    book.clear_failures("alice")
    assert book.count_failures(username="alice", address="10.0.0.2", since=T0) == (0, 0)
    # bob's failure from the same address stays, for bob and for the address.
    assert book.count_failures(username="bob", address="10.0.0.1", since=T0) == (1, 1)
    book.clear_failures("nobody")  # nothing to clear is no error
    assert book.count_failures(username="bob", address="10.0.0.1", since=T0) == (1, 1)


# -- sessions ---------------------------------------------------------------------------


def test_sessions_are_opened_found_touched_and_closed(store: Store) -> None:
    alice = store.accounts.add(username="alice", role="viewer", password_hash=HASH_A)
    record = _session("a" * 64, alice)
    store.accounts.open_session(record)
    assert store.accounts.find_session("a" * 64) == record
    assert store.accounts.find_session("b" * 64) is None
    store.accounts.touch_session("a" * 64, "2026-03-01T08:05:00.000Z")
    touched = store.accounts.find_session("a" * 64)
    assert touched is not None
    assert (touched.seen_at, touched.created_at) == ("2026-03-01T08:05:00.000Z", T0)
    assert (touched.csrf, touched.account_id) == (record.csrf, alice.id)
    store.accounts.close_session("a" * 64)
    assert store.accounts.find_session("a" * 64) is None
    store.accounts.close_session("a" * 64)  # idempotent
    assert store.accounts.find_session("a" * 64) is None


def test_close_sessions_ends_every_session_of_one_account_only(store: Store) -> None:
    alice = store.accounts.add(username="alice", role="viewer", password_hash=HASH_A)
    bob = store.accounts.add(username="bob", role="viewer", password_hash=HASH_A)
    for digest, account in [("a" * 64, alice), ("b" * 64, alice), ("c" * 64, bob)]:
        store.accounts.open_session(_session(digest, account))
    store.accounts.close_sessions(alice.id)
    assert store.accounts.find_session("a" * 64) is None
    assert store.accounts.find_session("b" * 64) is None
    assert store.accounts.find_session("c" * 64) == _session("c" * 64, bob)


# -- persistence ------------------------------------------------------------------------


def test_accounts_failures_and_sessions_survive_reopening(store: Store) -> None:
    alice = store.accounts.add(username="alice", role="editor", password_hash=HASH_A)
    store.accounts.update("alice", disabled_at=T0)
    store.accounts.add_failure(username="alice", address="10.0.0.1", at=T0)
    store.accounts.open_session(_session("a" * 64, alice))
    again = _reopened(store)
    try:
        assert again.accounts.records() == store.accounts.records()
        assert again.accounts.find("alice") == AccountRecord(
            alice.id, "alice", "editor", HASH_A, alice.created_at, T0)
        assert again.accounts.count_failures(username="alice", address="10.0.0.1",
                                             since=T0) == (1, 1)
        assert again.accounts.find_session("a" * 64) == _session("a" * 64, alice)
        # The reopened store goes on from there: the next id is new, the name still taken.
        bob = again.accounts.add(username="bob", role="viewer", password_hash=HASH_B)
        assert bob.id != alice.id
        with pytest.raises(DuplicateIdError):
            again.accounts.add(username="alice", role="viewer", password_hash=HASH_B)
    finally:
        again.close()
