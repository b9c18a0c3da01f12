"""Organisers' manual decisions on a grouping: merge ("must link") and split ("cannot link")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

Similarity = Callable[[str, str], float]

__all__ = ["apply_constraints"]


def apply_constraints(
    labels: dict[str, str],
    *,
    similarity: Similarity,
    must_link: Iterable[tuple[str, str]],
    cannot_link: Iterable[tuple[str, str]],
) -> dict[str, str]:
    """Split groups that hold a cannot-link pair, then merge must-linked groups.

    Pairs naming unknown ids are ignored (the question may have been withdrawn). Splitting
    wins: a must-link that would put a cannot-link pair together only moves the item
    itself when it can, and is dropped otherwise.
    """
    cannot: dict[str, set[str]] = defaultdict(set)
    for a, b in cannot_link:
        if a != b and a in labels and b in labels:
            cannot[a].add(b)
            cannot[b].add(a)
    must = sorted(
        {tuple(sorted((a, b))) for a, b in must_link if a != b and a in labels and b in labels}
    )
    if not cannot and not must:
        return labels

    groups: dict[str, list[str]] = defaultdict(list)
    for item_id in sorted(labels):
        groups[labels[item_id]].append(item_id)

    result: dict[str, str] = {}
    for label in sorted(groups):
        for sub_label, members in _split(label, groups[label], cannot, similarity).items():
            for member in members:
                result[member] = sub_label

    members_of: dict[str, set[str]] = defaultdict(set)
    for item_id, label in result.items():
        members_of[label].add(item_id)

    def conflicts(items: Iterable[str], group: set[str]) -> bool:
        return any(cannot[item] & group for item in items)

    for a, b in must:
        label_a, label_b = result[a], result[b]
        if label_a == label_b:
            continue
        group_a, group_b = members_of[label_a], members_of[label_b]
        if not conflicts(group_b, group_a):
            keep, drop = sorted((label_a, label_b), key=lambda lb: (-len(members_of[lb]), lb))
            for member in members_of[drop]:
                result[member] = keep
            members_of[keep] |= members_of.pop(drop)
        elif not conflicts((b,), group_a) and b != label_b:
            group_b.discard(b)
            group_a.add(b)
            result[b] = label_a
    return result


def _split(
    label: str,
    members: list[str],
    cannot: Mapping[str, set[str]],
    similarity: Similarity,
) -> dict[str, list[str]]:
    """Re-partition one group so that no cannot-link pair stays together."""
    member_set = set(members)
    if not any(cannot.get(m, set()) & member_set for m in members):
        return {label: members}
    ordered = sorted(
        (m for m in members if m != label),
        key=lambda m: (-similarity(m, label), m),
    )
    subgroups: list[list[str]] = [[label]]
    for member in ordered:
        best_index, best_score = -1, -1.0
        for index, subgroup in enumerate(subgroups):
            if cannot.get(member, set()) & set(subgroup):
                continue
            score = similarity(member, subgroup[0])
            if score > best_score:
                best_index, best_score = index, score
        if best_index < 0:
            subgroups.append([member])
        else:
            subgroups[best_index].append(member)
    return {subgroup[0]: subgroup for subgroup in subgroups}
