"""Clusters kept in the database: a full re-clustering of a campaign (organiser's command,
any threshold) that honours the manual merge/split decisions and never mixes topic groups
by itself. (The incremental assignment of each new question as it arrives is in
:mod:`bot.clustering.similar`.)"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from bot.clustering import DEFAULT_THRESHOLD, cluster_texts
from storage import Store


@dataclass(frozen=True)
class ReclusterResult:
    questions: int
    clusters: int
    largest: int


async def recluster(
    store: Store, campaign_id: int, *, threshold: float = DEFAULT_THRESHOLD, now: datetime
) -> ReclusterResult:
    """Group all questions of a campaign again; manual decisions survive."""
    rows = await store.questions.texts(campaign_id)
    links = await store.clusters.links(campaign_id)
    must = [(str(link.a), str(link.b)) for link in links if link.kind == "must"]
    cannot = [(str(link.a), str(link.b)) for link in links if link.kind == "cannot"]
    items = [(str(r.id), r.text) for r in rows]
    # Topic groups are never mixed automatically; an organiser's confirmed merge across
    # them is a must-link and survives.
    topics = {str(r.id): r.topic_id for r in rows}
    # The asker's unit is a signal of the pair model (0: not known).
    units = {str(r.id): r.unit_id or None for r in rows}
    # CPU-bound for large campaigns: keep the event loop (and the chat) responsive.
    labels = await asyncio.to_thread(
        cluster_texts,
        items,
        threshold=threshold,
        groups=topics,
        units=units,
        must_link=must,
        cannot_link=cannot,
    )
    groups: dict[str, list[int]] = defaultdict(list)
    for key, label in labels.items():
        groups[label].append(int(key))
    ordered = sorted(groups.items(), key=lambda kv: min(kv[1]))
    await store.clusters.replace_all(
        campaign_id,
        [sorted(members) for _, members in ordered],
        [int(label) for label, _ in ordered],
        now=now,
    )
    return ReclusterResult(
        questions=len(items),
        clusters=len(groups),
        largest=max((len(m) for m in groups.values()), default=0),
    )
