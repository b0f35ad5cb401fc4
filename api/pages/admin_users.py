"""The administrators' page for staff accounts (``/admin/users``): list, add, role, state, password.

``GET /admin/users`` lists every account (disabled ones too) with a form per
row to change its role, disable or enable it and give it a new password,
and below them a form to add an account. Each form posts to its own path
(``POST /admin/users``, ``/admin/users/{username}/role``, ``/disable``,
``/enable``, ``/password``); a change goes back to the list with a message
named in the query (``?done=added&user=...``), wrong input shows the page
again with 422 and the message beside the field. The rules are
:mod:`geo.accounts`' (disabling an account or giving it a new password ends
its sessions); the page adds two of its own: a new username holds only
letters, digits and ``. _ - @`` (it is typed at the sign-in form and shown in
the history), and an administrator may neither disable their own account nor
take away their own admin role, so the bureau cannot lock itself out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.auth import require_role
from api.deps import get_store
from api.html import page_lang, render
from api.sessions import Caller, checked_form, session_caller
from geo.accounts import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    add_account,
    check_username,
    disable_account,
    enable_account,
    set_password,
    set_role,
)
from geo.errors import DuplicateIdError, NotFoundError, ValidationError
from geo.store.base import AccountRecord, Store
from geo.tokens import ROLES, role_allows

__all__ = ["WORDS", "router"]

router = APIRouter(include_in_schema=False)

PAGE = "/admin/users"
#: Characters a new username may hold besides letters and digits (any script).
_DONE = ("added", "role", "disabled", "enabled", "password")
_SHOWN_NAME = 64  # a name in the query is shown cut to the longest a username can be

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "账号管理", "role": "角色", "created": "开设时间", "state": "状态",
        "actions": "操作", "active": "正常", "disabled_since": "已停用（{when} 起）",
        "you": "当前登录", "change_role": "更改角色", "disable": "停用", "enable": "启用",
        "new_password": "新密码", "repeat_password": "再次输入密码",
        "set_password": "设置新密码", "add_title": "开设账号", "add": "开设账号",
        "username_hint": "字母、数字、汉字或 . _ - @，不含空格，最多 64 个字符。",
        "password_hint": f"至少 {MIN_PASSWORD} 个字符。",
        "sessions_end": "停用账号或设置新密码后，该账号已登录的会话立即失效。",
        "self_note": "不能停用自己的账号，也不能取消自己的管理员角色。",
        "no_accounts": "还没有账号。", "fix": "有需要修改的地方，见标红的提示。",
        "username_rule": "用户名为 1 到 64 个字符，只能是字母、数字、汉字或 . _ - @。",
        "username_taken": "用户名 {user} 已被占用。",
        "role_rule": "请选择角色：查看、编辑或管理员。",
        "password_rule": f"密码需 {MIN_PASSWORD} 到 {MAX_PASSWORD} 个字符。",
        "passwords_differ": "两次输入的密码不一致。",
        "no_self_disable": "不能停用自己的账号。",
        "no_self_demote": "不能取消自己的管理员角色。",
        "done_added": "已开设账号 {user}。", "done_role": "已更改 {user} 的角色。",
        "done_disabled": "已停用 {user}，其登录会话已全部失效。",
        "done_enabled": "已启用 {user}。",
        "done_password": "已为 {user} 设置新密码，其登录会话已全部失效。",
    },
    "en": {
        "title": "Staff accounts", "role": "Role", "created": "Created", "state": "State",
        "actions": "Actions", "active": "active", "disabled_since": "disabled since {when}",
        "you": "you", "change_role": "Change role", "disable": "Disable", "enable": "Enable",
        "new_password": "New password", "repeat_password": "Repeat the password",
        "set_password": "Set new password", "add_title": "Add an account",
        "add": "Add account",
        "username_hint": "Letters, digits or . _ - @; no spaces; at most 64 characters.",
        "password_hint": f"At least {MIN_PASSWORD} characters.",
        "sessions_end": "Disabling an account or giving it a new password signs it out "
                        "everywhere at once.",
        "self_note": "You cannot disable your own account or take away your own "
                     "administrator role.",
        "no_accounts": "No accounts yet.", "fix": "Some input needs changing: see the "
                                                  "messages in red.",
        "username_rule": "A username has 1 to 64 characters: letters, digits or . _ - @.",
        "username_taken": "The username {user} is taken.",
        "role_rule": "Choose a role: viewer, editor or administrator.",
        "password_rule": f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.",
        "passwords_differ": "The two passwords differ.",
        "no_self_disable": "You cannot disable your own account.",
        "no_self_demote": "You cannot take away your own administrator role.",
        "done_added": "Account {user} added.", "done_role": "Role of {user} changed.",
        "done_disabled": "{user} disabled and signed out everywhere.",
        "done_enabled": "{user} enabled.",
        "done_password": "New password set for {user}; they are signed out everywhere.",
    },
}


def _words(request: Request) -> dict[str, str]:
    return WORDS["en" if page_lang(request) == "en" else "zh"]


def _href(username: str) -> str:
    # quoted whole: a username may hold "/", "?" or "#" (the CLI's rule allows them)
    return f"{PAGE}/" + quote(username, safe="")


def _page(request: Request, *, status_code: int = 200, flash: str | None = None,
          values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None,
          row_errors: Mapping[str, Mapping[str, str]] | None = None) -> Response:
    """Render the list and the add form; ``errors`` are the add form's, by field."""
    accounts = get_store(request).accounts.records()
    rows = [{"account": account, "href": _href(account.username)} for account in accounts]
    return render(request, "admin/users.html", status_code=status_code, active="admin",
                  w=_words(request), rows=rows, roles=ROLES, flash=flash,
                  values=values or {"role": "viewer"}, errors=errors or {},
                  row_errors=row_errors or {})


def _flash(request: Request, done: str | None, user: str | None) -> str | None:
    if done not in _DONE:
        return None
    # the name is only a value of .format; the template escapes the result
    return _words(request)[f"done_{done}"].format(user=(user or "")[:_SHOWN_NAME])


def _done(done: str, username: str) -> Response:
    return RedirectResponse(f"{PAGE}?" + urlencode({"done": done, "user": username}),
                            status_code=303)


async def _admin_form(request: Request) -> tuple[Caller, FormData]:
    """Return the administrator and the CSRF-checked form; others are refused unread."""
    early = session_caller(request)
    if early is None or not role_allows(early.role, "admin"):
        require_role(request, "admin")  # 401 or 403 before the body is read
    form = await checked_form(request)
    return require_role(request, "admin"), form


def _is_self(caller: Caller, account: AccountRecord) -> bool:
    # a bearer token's name is not an account: only a session is someone's own account
    return caller.via == "session" and caller.name == account.username


def _account(store: Store, username: str) -> AccountRecord:
    account = store.accounts.find(username.strip())
    if account is None:
        raise NotFoundError(f"no account named {username!r}")
    return account


@router.get(PAGE)
def users_page(request: Request, done: Annotated[str | None, Query()] = None,
               user: Annotated[str | None, Query()] = None) -> Response:
    """Show every staff account with its forms, and the form to add one (admins)."""
    require_role(request, "admin")
    return _page(request, flash=_flash(request, done, user))


# -- add ------------------------------------------------------------------------------------


def _password_problems(w: Mapping[str, str], password: str, repeat: str) -> dict[str, str]:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return {"password": w["password_rule"]}
    if password != repeat:
        return {"password_repeat": w["passwords_differ"]}
    return {}


def _username_problem(w: Mapping[str, str], username: str) -> str | None:
    try:
        check_username(username)
    except ValidationError:
        return w["username_rule"]
    return None


def _add_problems(w: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    """Return every wrong field of the add form with its message, so all show at once."""
    problems = _password_problems(w, values["password"], values["password_repeat"])
    name_problem = _username_problem(w, values["username"])
    if name_problem:
        problems["username"] = name_problem
    if values["role"] not in ROLES:
        problems["role"] = w["role_rule"]
    return problems


@router.post(PAGE)
async def add_user(request: Request) -> Response:
    """Open an account and go back to the list; 422 with the messages when input is wrong."""
    _, form = await _admin_form(request)
    names = ("username", "role", "password", "password_repeat")
    values = {name: str(form.get(name) or "") for name in names}
    return await run_in_threadpool(_add, request, values)


def _add(request: Request, values: dict[str, str]) -> Response:
    w = _words(request)
    problems = _add_problems(w, values)
    if not problems:
        try:  # argon2 hashing: run in the thread pool by the caller
            stored = add_account(get_store(request), username=values["username"],
                                 role=values["role"], password=values["password"])
        except DuplicateIdError:
            problems = {"username": w["username_taken"].format(user=values["username"].strip())}
        except ValidationError as exc:  # a rule only geo knows, such as UTF-8 encodability
            field = exc.field if exc.field in ("role", "password") else "username"
            problems = {field: w[f"{field}_rule"]}
        else:
            return _done("added", stored.username)
    kept = {"username": values["username"], "role": values["role"]}  # never a password
    return _page(request, status_code=422, values=kept, errors=problems)


# -- one account's forms --------------------------------------------------------------------


def _refused(request: Request, account: AccountRecord, problems: dict[str, str]) -> Response:
    return _page(request, status_code=422, row_errors={account.username: problems})


@router.post(PAGE + "/{username:path}/role")
async def change_role(request: Request, username: str) -> Response:
    """Give an account another role; an administrator's own role stays admin (422)."""
    caller, form = await _admin_form(request)
    role = str(form.get("role") or "")

    def change() -> Response:
        w, account = _words(request), _account(get_store(request), username)
        if role not in ROLES:
            return _refused(request, account, {"role": w["role_rule"]})
        if _is_self(caller, account) and role != "admin":
            return _refused(request, account, {"role": w["no_self_demote"]})
        set_role(get_store(request), account.username, role)
        return _done("role", account.username)

    return await run_in_threadpool(change)


@router.post(PAGE + "/{username:path}/disable")
async def disable_user(request: Request, username: str) -> Response:
    """Stop an account from signing in and end its sessions; never the caller's own (422)."""
    caller, _ = await _admin_form(request)

    def disable() -> Response:
        account = _account(get_store(request), username)
        if _is_self(caller, account):
            return _refused(request, account, {"state": _words(request)["no_self_disable"]})
        disable_account(get_store(request), account.username)
        return _done("disabled", account.username)

    return await run_in_threadpool(disable)


@router.post(PAGE + "/{username:path}/enable")
async def enable_user(request: Request, username: str) -> Response:
    """Let a disabled account sign in again."""
    await _admin_form(request)

    def enable() -> Response:
        account = _account(get_store(request), username)
        enable_account(get_store(request), account.username)
        return _done("enabled", account.username)

    return await run_in_threadpool(enable)


@router.post(PAGE + "/{username:path}/password")
async def change_password(request: Request, username: str) -> Response:
    """Give an account a new password (typed twice); its sessions end."""
    _, form = await _admin_form(request)
    password = str(form.get("password") or "")
    repeat = str(form.get("password_repeat") or "")
    return await run_in_threadpool(_set_password, request, username, password, repeat)


def _set_password(request: Request, username: str, password: str, repeat: str) -> Response:
    w, store = _words(request), get_store(request)
    account = _account(store, username)
    problems = _password_problems(w, password, repeat)
    if not problems:
        try:
            set_password(store, account.username, password)
        except ValidationError:  # e.g. a lone surrogate UTF-8 cannot encode
            problems = {"password": w["password_rule"]}
        else:
            return _done("password", account.username)
    return _refused(request, account, problems)
