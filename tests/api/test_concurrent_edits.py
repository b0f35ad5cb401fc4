"""No lost updates: concurrent clients of a live server patching the same ETag.

Runs against ``zonewatch serve`` in its own process (the ``live_url``
fixture), once per store kind: exactly one PATCH wins, every other gets 412,
and the stored record is the winner's.
"""

from __future__ import annotations

import json
import threading

import httpx

from geo.store import Store
from geo.tokens import issue_token

CLIENTS = 20


def test_twenty_clients_patch_one_etag_and_exactly_one_wins(
    demo_store: Store, live_url: str
) -> None:
    token, _ = issue_token(demo_store, name="并发", role="editor")
    fid = str(demo_store.read("sources", query=None).iloc[0]["id"])
    url = f"{live_url}/collections/sources/items/{fid}"
    etag = httpx.get(url).headers["etag"]
    version = demo_store.get("sources", fid).version
    start = threading.Barrier(CLIENTS)
    results: dict[int, int] = {}

    def attempt(i: int) -> None:
        headers = {"Authorization": f"Bearer {token}", "If-Match": etag,
                   "Content-Type": "application/merge-patch+json"}
        body = json.dumps({"properties": {"notes": f"client {i}"}})
        with httpx.Client(timeout=60) as client:
            start.wait()
            results[i] = client.patch(url, content=body, headers=headers).status_code

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [i for i, status in results.items() if status == 200]
    assert len(results) == CLIENTS
    assert len(winners) == 1, results
    assert sorted(set(results.values())) == [200, 412]
    stored = demo_store.get("sources", fid)
    assert stored.properties["notes"] == f"client {winners[0]}"
    assert stored.version == version + 1
    assert [e.operation for e in demo_store.history("sources", fid)].count("update") == 1
