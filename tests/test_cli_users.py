"""``zonewatch user add/list/disable/enable/passwd/role`` run in-process on a GeoPackage.

Each command opens and closes the store, as separate runs do; what they did
is checked in the store itself and with :func:`geo.accounts.sign_in`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from geo.accounts import sign_in
from geo.errors import SignInRefusedError
from geo.store import open_store
from geo.store.base import AccountRecord

RUNNER = CliRunner()
PASSWORD = "pw-long-enough"


def run(store: Path, *args: str, stdin: str | None = None) -> Result:
    """Run ``zonewatch ARGS --store STORE`` with ``stdin`` as its input."""
    return RUNNER.invoke(app, [*args, "--store", str(store)], input=stdin)


def stored(store: Path, username: str) -> AccountRecord | None:
    opened = open_store(store, create=False)
    try:
        return opened.accounts.find(username)
    finally:
        opened.close()


def signs_in(store: Path, username: str, password: str) -> bool:
    """Whether ``geo.accounts.sign_in`` lets ``username`` in with ``password``."""
    opened = open_store(store, create=False)
    try:
        sign_in(opened, username=username, password=password, address="127.0.0.1")
    except SignInRefusedError as exc:
        assert exc.reason == "invalid"
        return False
    finally:
        opened.close()
    return True


def list_rows(store: Path) -> dict[str, list[str]]:
    """``user list`` as {username: [role, created_at, disabled_at]}."""
    result = run(store, "user", "list")
    assert result.exit_code == 0, result.output
    rows = {}
    for line in result.stdout.splitlines():
        if line.startswith("│"):  # a body row (the header row is drawn with ┃)
            cells = [cell.strip() for cell in line.split("│")[1:-1]]
            assert len(cells) == 4, line
            rows[cells[0]] = cells[1:]
    return rows


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A GeoPackage holding the editor alice, added by ``user add``."""
    path = tmp_path / "ledger.gpkg"
    result = run(path, "user", "add", "alice", "--role", "editor", "--password-stdin",
                 stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "account alice (editor) added" in result.stdout
    return path


def test_add_stores_a_hash_and_list_shows_the_account(store: Path) -> None:
    account = stored(store, "alice")
    assert account is not None and account.role == "editor" and account.disabled_at is None
    assert account.password_hash.startswith("$argon2id$")
    assert list_rows(store) == {"alice": ["editor", account.created_at, ""]}
    listing = run(store, "user", "list")
    assert PASSWORD not in listing.output and account.password_hash not in listing.output
    assert signs_in(store, "alice", PASSWORD)


def test_a_wrong_role_is_a_usage_error(store: Path) -> None:
    result = run(store, "user", "add", "bob", "--role", "owner", "--password-stdin",
                 stdin=PASSWORD + "\n")
    assert result.exit_code == 2
    assert "owner" in result.output
    assert stored(store, "bob") is None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [(["user", "add", "bob", "--role", "viewer"], "short\n", "8 to 1024 characters"),
     (["user", "add", "alice", "--role", "admin"], PASSWORD + "\n", "alice"),
     (["user", "add", "bo b", "--role", "viewer"], PASSWORD + "\n", "letters, digits"),
     (["user", "passwd", "alice"], "short\n", "8 to 1024 characters"),
     (["user", "passwd", "nobody"], PASSWORD + "\n", "nobody")],
    ids=["short-password", "duplicate", "bad-username", "short-new-password", "unknown"],
)
def test_bad_input_is_one_line_and_exit_1(store: Path, args: list[str], stdin: str,
                                          message: str) -> None:
    before = stored(store, "alice")
    result = run(store, *args, "--password-stdin", stdin=stdin)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is not None
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
    assert stored(store, "alice") == before  # nothing changed
    assert stored(store, "bob") is None


def test_disable_then_enable(store: Path) -> None:
    result = run(store, "user", "disable", "alice")
    assert result.exit_code == 0, result.output
    disabled_at = stored(store, "alice").disabled_at  # type: ignore[union-attr]
    assert disabled_at is not None and disabled_at in result.stdout
    assert list_rows(store)["alice"][2] == disabled_at
    assert not signs_in(store, "alice", PASSWORD)
    result = run(store, "user", "enable", "alice")
    assert result.exit_code == 0, result.output
    assert "account alice enabled" in result.stdout
    assert list_rows(store)["alice"][2] == ""
    assert signs_in(store, "alice", PASSWORD)


def test_passwd_replaces_the_password(store: Path) -> None:
    result = run(store, "user", "passwd", "alice", "--password-stdin",
                 stdin="a new pass phrase\nignored second line\n")
    assert result.exit_code == 0, result.output
    assert "password of alice changed" in result.stdout
    assert not signs_in(store, "alice", PASSWORD)
    assert signs_in(store, "alice", "a new pass phrase")


def test_role_changes_the_role(store: Path) -> None:
    result = run(store, "user", "role", "alice", "viewer")
    assert result.exit_code == 0, result.output
    assert "account alice is now viewer" in result.stdout
    assert stored(store, "alice").role == "viewer"  # type: ignore[union-attr]
    assert list_rows(store)["alice"][0] == "viewer"
    assert run(store, "user", "role", "alice", "root").exit_code == 2
    assert stored(store, "alice").role == "viewer"  # type: ignore[union-attr]


def test_commands_on_a_missing_store_do_not_create_it(tmp_path: Path) -> None:
    missing = tmp_path / "none.gpkg"
    for args in (["user", "list"], ["user", "disable", "alice"]):
        result = run(missing, *args)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
    assert not missing.exists()
