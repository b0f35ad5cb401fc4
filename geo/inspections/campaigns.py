"""Inspection campaigns: how far one round of checks has got, against the sources due."""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo.errors import ValidationError
from geo.inspections.rounds import due_sources
from geo.ledger import MAX_ROUND
from geo.store.base import Query, Store

__all__ = ["campaign_progress"]


def campaign_progress(store: Store, *, round_no: int) -> dict[str, Any]:
    """Return, per community, which sources were and were not inspected in a round.

    Returns
    -------
    dict
        ``{"round", "checked", "unchecked", "communities": [{"community",
        "checked": [ids], "unchecked": [ids]}]}`` with communities sorted by
        name (``None`` last, for sources without a community).

    Examples
    --------
    >>> from geo.store.gpkg import GeoPackageStore  # doctest: +SKIP
    >>> campaign_progress(store, round_no=1)["checked"]  # doctest: +SKIP
    812
    """
    bad = isinstance(round_no, bool) or not isinstance(round_no, int)
    if bad or not 1 <= round_no <= MAX_ROUND:
        raise ValidationError(
            f"round {round_no!r} must be a whole number from 1 to {MAX_ROUND}", field="round"
        )
    inspections = store.read("inspections", query=Query(filters={"round": round_no}))
    sources = due_sources(store.read("sources"), inspections, round_no=round_no)
    seen = set(inspections["source_id"]) if len(inspections) else set()
    sources["checked"] = sources["id"].isin(seen)
    communities = []
    named = sources[sources["community"].notna()]
    # named communities by name, the sources without one last (as the round sheet lists them)
    groups: list[tuple[str | None, pd.DataFrame]] = [
        (str(key), group) for key, group in named.groupby("community", sort=True)]
    if sources["community"].isna().any():
        groups.append((None, sources[sources["community"].isna()]))
    for key, group in groups:
        communities.append({
            "community": key,
            "checked": group.loc[group["checked"], "id"].tolist(),
            "unchecked": group.loc[~group["checked"], "id"].tolist(),
        })
    return {
        "round": round_no,
        "checked": int(sources["checked"].sum()),
        "unchecked": int((~sources["checked"]).sum()),
        "communities": communities,
    }
