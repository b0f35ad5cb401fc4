"""The workspace's home page: what needs attention, one click from each task."""

from __future__ import annotations

import re

import pytest

from geo import writes
from tests._support import ledger as ledger_support
from tests._support.ledger import Ledger

ledger = ledger_support.ledger  # the fixture (one small ledger per store kind)
HTML = {"accept": "text/html"}


def _card(page: str, href: str) -> int:
    match = re.search(rf'<a class="card[^"]*" href="{re.escape(href)}">'
                      r'<span class="n">(\d+)</span>', page)
    assert match, href
    return int(match.group(1))


def test_home_counts_priority_targets_and_the_round(ledger: Ledger) -> None:
    page = ledger.client.get("/", headers=HTML)
    assert page.status_code == 200 and "<h1>" in page.text
    assert _card(page.text, "/ledger?priority=true") == 1  # S-near; S-far is 27 km out
    assert _card(page.text, "/ledger") == 2
    # both sources are catering/bbq in operation; only catering is due in rounds
    assert _card(page.text, "/ledger?overdue=true") == 1
    assert 'href="/ledger?station=M-1&amp;f=xlsx"' in page.text


@pytest.mark.parametrize("closed", [False, True], ids=["open", "near-one-closed"])
def test_the_cards_lead_to_the_same_rows(ledger: Ledger, closed: bool) -> None:
    client = ledger.client
    if closed:  # a shut stall inside the radius: off the priority list, onto the re-check list
        writes.update(ledger.store, "sources", "S-near", {"status": "closed"},
                      expected_version=None, actor="test")
    home = client.get("/", headers=HTML).text
    assert _card(home, "/ledger?recheck=true") == int(closed)
    for href in ("/ledger?priority=true", "/ledger?recheck=true", "/ledger?overdue=true",
                 "/ledger"):
        rows = re.findall(r'<tr data-id="', client.get(href, headers=HTML).text)
        assert len(rows) == _card(home, href), href


def test_the_overdue_cases_card_counts_what_the_overdue_view_lists(ledger: Ledger) -> None:
    import datetime as dt

    from shapely import Point

    from geo.cases import act_on_case, report_case

    ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    for fid, steps in (("C-late", ("file", "dispatch")), ("C-open", ("file",)),
                       ("C-done", ("file", "dispatch", "handle", "verify", "close"))):
        report_case(ledger.store, id=fid, event_type="open_air_bbq", actor="巡查员", at=ago,
                    point=Point(113.666, 34.758))
        for k, action in enumerate(steps, start=1):
            act_on_case(ledger.store, fid, action, actor="中心", role="dispatcher",
                        at=ago + dt.timedelta(minutes=k), unit="中队",
                        passed=True if action == "verify" else None)
    home = ledger.client.get("/", headers=HTML).text
    assert _card(home, "/cases?overdue=true") == 1 and "未结案件共 2 件" in home
    listed = ledger.client.get("/cases?overdue=true", headers=HTML).text
    assert re.findall(r'<tr data-id="([^"]+)"', listed) == ["C-late"]


def test_recent_changes_name_who_and_what(ledger: Ledger) -> None:
    page = ledger.client.get("/", headers=HTML).text
    changes = page[page.index('class="changes"'):]
    assert "seed" in changes and 'href="/ledger/S-near"' in changes and "近处餐馆" in changes


def test_programs_keep_the_ogc_landing_page(ledger: Ledger) -> None:
    client = ledger.client
    body = client.get("/", headers={"accept": "application/json"}).json()
    assert any(link["rel"] == "conformance" for link in body["links"])
    api_page = client.get("/?f=html", headers=HTML)
    assert api_page.status_code == 200 and "/conformance" in api_page.text
    assert 'class="card"' not in api_page.text
