"""Bearer tokens and roles: 401 without a valid token, 403 for a role that may not."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.errors import ValidationError
from geo.tokens import hash_token, issue_token, role_allows, verify_token
from tests._support import ledger as ledger_support
from tests._support.ledger import Ledger, build
from tests._support.stores import STORE_KINDS, make_store

NEW = {"type": "Feature", "properties": {"name": "店", "category": "catering"},
       "geometry": {"type": "Point", "coordinates": [113.66, 34.75]}}

ledger = ledger_support.ledger  # the fixture (one small ledger per store kind)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic dXNlcjpwdw=="},
     {"Authorization": "Bearer "}],
    ids=["none", "unknown", "basic-scheme", "empty"],
)
def test_writes_without_a_valid_token_are_401_with_a_challenge(
    ledger: Ledger, headers: dict[str, str]
) -> None:
    before = ledger.store.count("sources")
    res = ledger.client.post("/collections/sources/items", json=NEW, headers=headers)
    assert res.status_code == 401
    assert res.headers["www-authenticate"].startswith("Bearer")
    assert res.headers["content-type"].startswith("application/problem+json")
    assert ledger.store.count("sources") == before


def test_a_viewer_may_not_write(ledger: Ledger) -> None:
    res = ledger.client.post("/collections/sources/items", json=NEW,
                             headers=ledger.auth("viewer"))
    assert res.status_code == 403
    res = ledger.client.delete("/collections/sources/items/S-near",
                               headers=ledger.auth("viewer", **{"If-Match": '"sources-S-near-v1"'}))
    assert res.status_code == 403
    assert ledger.store.get("sources", "S-near").version == 1


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_and_admins_write(ledger: Ledger, role: str) -> None:
    res = ledger.client.post("/collections/sources/items", json=NEW, headers=ledger.auth(role))
    assert res.status_code == 201
    fid = res.json()["id"]
    actor = ledger.store.history("sources", fid)[0].actor
    assert actor.startswith(f"{role}用户#")


def test_a_revoked_token_stops_working(ledger: Ledger) -> None:
    record = verify_token(ledger.store, ledger.tokens["editor"])
    assert record is not None
    ledger.store.tokens.revoke(record.id)
    res = ledger.client.post("/collections/sources/items", json=NEW, headers=ledger.auth())
    assert res.status_code == 401


def test_reads_are_open_by_default(ledger: Ledger) -> None:
    assert ledger.client.get("/collections/sources/items").status_code == 200


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_reads_can_require_a_viewer_token(kind: str, tmp_path: Path) -> None:
    for store in make_store(kind, tmp_path):
        closed = build(store, read_requires_token=True)
        with closed.client as client:
            assert client.get("/collections/sources/items").status_code == 401
            assert client.get("/collections/sources/items/S-near/history").status_code == 401
            assert client.get("/healthz").status_code == 200
            assert client.get("/api").status_code == 200
            assert client.get("/map/data.json").status_code == 401
            for role in ("viewer", "editor", "admin"):
                res = client.get("/collections/sources/items", headers=closed.auth(role))
                assert res.status_code == 200


def test_tokens_are_stored_only_as_hashes(ledger: Ledger) -> None:
    secrets_given = set(ledger.tokens.values())
    for record in ledger.store.tokens.records():
        assert record.hash not in secrets_given
        assert len(record.hash) == 64
    assert {hash_token(t) for t in secrets_given} == {r.hash for r in ledger.store.tokens.records()}


@pytest.mark.parametrize(
    ("name", "role"), [("张三", "owner"), ("  ", "editor"), ("x" * 101, "viewer")],
    ids=["unknown-role", "blank-name", "long-name"],
)
def test_issue_token_refuses_bad_input(ledger: Ledger, name: str, role: str) -> None:
    with pytest.raises(ValidationError):
        issue_token(ledger.store, name=name, role=role)


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [("viewer", "viewer", True), ("viewer", "editor", False), ("editor", "editor", True),
     ("editor", "admin", False), ("admin", "editor", True), ("root", "viewer", False)],
)
def test_role_order(role: str, needed: str, allowed: bool) -> None:
    assert role_allows(role, needed) is allowed


def test_token_cli_creates_lists_and_revokes(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from api.cli import app
    from geo.store import open_store

    runner, url = CliRunner(), str(tmp_path / "ledger.gpkg")
    open_store(url).close()  # only demo, import and serve create a store; token commands need one
    made = runner.invoke(app, ["token", "create", "--role", "editor", "--name", "张三",
                               "--store", url])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    store = open_store(url)
    try:
        record = verify_token(store, secret)
        assert record is not None and (record.name, record.role) == ("张三", "editor")
        listed = runner.invoke(app, ["token", "list", "--store", url])
        assert "张三" in listed.stdout and secret not in listed.stdout
        revoked = runner.invoke(app, ["token", "revoke", str(record.id), "--store", url])
        assert revoked.exit_code == 0
        assert verify_token(store, secret) is None
        assert runner.invoke(app, ["token", "revoke", "99", "--store", url]).exit_code == 1
        bad = runner.invoke(app, ["token", "create", "--role", "root", "--name", "x",
                                  "--store", url])
        assert bad.exit_code == 2
    finally:
        store.close()
