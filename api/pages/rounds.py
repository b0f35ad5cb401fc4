"""The inspection-round pages: a round's communities, and one community's sheet to print.

``GET /rounds?round=N`` lists the communities of round N (the current round
by default) with how many sources are due, checked, not yet checked and in
violation; ``GET /rounds/{community}?round=N&only=unchecked`` is one
community's sheet, which prints on A4 with a line for the inspector's
signature. The figures are :func:`geo.inspections.round_sheet.round_sheet`'s,
so they match the home page and the ledger's "not checked this round" filter.

A community name may hold ``/`` (the path takes the rest of the URL); the
sources without a community are at ``/rounds/`` (an empty name, which no
stored community has). Any reader may open these pages; the "record
inspection" links are for editors, once that page exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import get_store
from api.html import page_lang, render
from geo.errors import ValidationError
from geo.inspections.round_sheet import NO_COMMUNITY, CommunitySheet, round_sheet
from geo.ledger import BUREAU_TZ

__all__ = ["WORDS", "community_href", "router", "words"]

router = APIRouter(include_in_schema=False)

_ONLY = ("unchecked",)
RoundParam = Annotated[int | None, Query(alias="round", description="the round; default current")]

#: The words of these pages: lang -> key -> text (``{name}`` fields filled by the template).
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "rounds": "检查轮次", "round_n": "第 {n} 轮", "current": "当前轮次",
        "other_rounds": "轮次", "community": "社区", "no_community": "未填写社区",
        "due": "应检查", "checked": "已检查", "unchecked": "未检查", "violations": "违规",
        "share": "完成率", "total": "合计", "nothing_due": "本轮没有需要检查的污染源。",
        "only_unchecked": "只看未检查", "all": "全部", "state": "检查情况",
        "checked_on": "{date} 由 {who} 检查", "someone": "（未记录检查人）",
        "record": "登记检查", "signature": "检查人签字", "sign_date": "日期",
        "printed": "打印于 {when}", "print": "打印", "back": "返回各社区",
        "sheet_title": "{community} · 第 {n} 轮检查",
        "intro": "餐饮场所按社区逐一检查；已关停且本轮未检查的不计入。",
    },
    "en": {
        "rounds": "Inspection rounds", "round_n": "Round {n}", "current": "current round",
        "other_rounds": "Rounds", "community": "Community", "no_community": "No community recorded",
        "due": "Due", "checked": "Checked", "unchecked": "Not checked", "violations": "Violations",
        "share": "Share checked", "total": "Total", "nothing_due": "Nothing is due in this round.",
        "only_unchecked": "Only not checked", "all": "All", "state": "State",
        "checked_on": "checked on {date} by {who}", "someone": "(inspector not recorded)",
        "record": "Record inspection", "signature": "Inspector's signature", "sign_date": "Date",
        "printed": "printed {when}", "print": "Print", "back": "Back to the communities",
        "sheet_title": "{community} · round {n} of checks",
        "intro": "Catering premises are checked community by community; closed ones not "
                 "visited in the round are not counted.",
    },
}


def words(lang: str) -> dict[str, str]:
    """Return the words of these pages in ``lang`` (Chinese unless ``en``).

    Examples
    --------
    >>> words("en")["unchecked"], words("zh")["unchecked"]
    ('Not checked', '未检查')
    """
    return WORDS["en" if lang == "en" else "zh"]


def community_href(community: str | None, *, round_no: int, only: str | None = None) -> str:
    """Return the link to a community's sheet, its name URL-encoded (``/`` too).

    Examples
    --------
    >>> community_href("a/b 社区", round_no=2, only="unchecked")
    '/rounds/a%2Fb%20%E7%A4%BE%E5%8C%BA?round=2&only=unchecked'
    >>> community_href(None, round_no=1)
    '/rounds/?round=1'
    """
    query = {"round": str(round_no), **({"only": only} if only else {})}
    return "/rounds/" + quote(community or NO_COMMUNITY, safe="") + "?" + urlencode(query)


def _printed_at() -> str:
    # the bureau's clock (UTC+8, Asia/Shanghai), whatever the server's zone
    return dt.datetime.now(BUREAU_TZ).strftime("%Y-%m-%d %H:%M")


@router.get("/rounds")
def rounds_page(request: Request, round_no: RoundParam = None) -> HTMLResponse:
    """Show a round's communities: due, checked, not checked, violations, share checked."""
    sheet = round_sheet(get_store(request), round_no=round_no)
    return render(request, "rounds/index.html", active="rounds", sheet=sheet,
                  w=words(page_lang(request)), href=community_href, printed=_printed_at())


@router.get("/rounds/{community:path}")
def round_community_page(
    request: Request,
    community: str,
    round_no: RoundParam = None,
    only: Annotated[str | None, Query(description="unchecked: only those not checked")] = None,
) -> HTMLResponse:
    """Show one community's sources due in the round and where each stands."""
    only = only or None  # the "all" link may send an empty value
    if only is not None and only not in _ONLY:
        raise ValidationError(f"only must be one of: {', '.join(_ONLY)}; got {only!r}",
                              field="only")
    sheet = round_sheet(get_store(request), round_no=round_no, community=community)
    # a community whose sources are none of them due this round still has a (blank) sheet
    group = sheet.communities[0] if sheet.communities else \
        CommunitySheet(community=community or None, entries=())
    entries = group.unchecked if only == "unchecked" else group.entries
    return render(request, "rounds/community.html", active="rounds", sheet=sheet, group=group,
                  entries=entries, only=only, w=words(page_lang(request)), href=community_href,
                  printed=_printed_at())
