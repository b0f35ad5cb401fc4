"""The dispatcher role reaches stores made before it: their role CHECKs widen on open.

A store made by a Zonewatch that knew three roles refuses a fourth in its
CHECK constraints; opening it with this one rebuilds (GeoPackage) or
replaces (PostGIS) those constraints, keeping accounts, tokens and sessions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.accounts import add_account, open_session, resume_session, set_role
from geo.store import Store
from geo.tokens import issue_token, verify_token
from tests._support.stores import STORE_KINDS, make_store

_OLD_ROLES = "'viewer', 'editor', 'admin'"


@pytest.fixture(params=STORE_KINDS)
def old_store(request: pytest.FixtureRequest, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A store whose role tables were made with the three roles of before."""
    if request.param == "gpkg":
        from geo.store.gpkg import schema as module
    else:
        from geo.store.postgis import sql as module
    with monkeypatch.context() as patch:
        patch.setattr(module, "_ROLE_LIST", _OLD_ROLES)
        made = make_store(request.param, tmp_path)
        store = next(made)
    try:
        yield store
    finally:
        next(made, None)


def test_an_old_store_refuses_the_new_role_until_opened_anew(old_store: Store) -> None:
    account = add_account(old_store, username="zhang", role="editor", password="s3cret-pass")
    cookie, _ = open_session(old_store, account)
    secret, _ = issue_token(old_store, name="feed", role="viewer")
    with pytest.raises(Exception, match="(?i)check|constraint"):
        set_role(old_store, "zhang", "dispatcher")

    old_store.init_schema()  # what every start does

    assert set_role(old_store, "zhang", "dispatcher").role == "dispatcher"
    assert issue_token(old_store, name="centre", role="dispatcher")[1].role == "dispatcher"
    kept = resume_session(old_store, cookie, idle_minutes=60)
    assert kept is not None and kept[0].username == "zhang"
    assert verify_token(old_store, secret) is not None
    old_store.init_schema()  # a second start finds nothing to change
    assert [a.username for a in old_store.accounts.records()] == ["zhang"]


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_a_new_store_takes_every_role_and_no_other(kind: str, tmp_path: Path) -> None:
    made = make_store(kind, tmp_path)
    store = next(made)
    try:
        for role in ("viewer", "editor", "dispatcher", "admin"):
            assert add_account(store, username=f"u_{role}", role=role,
                               password="s3cret-pass").role == role
        with pytest.raises(Exception, match="role"):
            add_account(store, username="u_boss", role="boss", password="s3cret-pass")
    finally:
        next(made, None)
