"""Conversation states, stored by name in the database (never in memory only)."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    IDLE = "idle"
    CONSENT = "consent"
    CAMPAIGN = "campaign"
    UNIT_CONFIRM = "unit_confirm"  # one tap for the deep-linked unit
    UNIT_QUERY = "unit_query"
    UNIT_PICK = "unit_pick"
    NAME = "name"
    CATEGORY = "category"
    TOPIC = "topic"
    TEXT = "text"
    SIMILAR = "similar"
    SUPPORTED = "supported"  # joined a similar question: send one's own words as well?
    PREVIEW = "preview"
    AMEND = "amend"  # text typed at the preview: add it, replace with it, or ignore it
    DRAFT_DROP = "draft_drop"  # "thôi", "bỏ đi" at the preview: drop the question, sure?
    EDIT_PICK = "edit_pick"
    EDIT_TEXT = "edit_text"
    WITHDRAW_PICK = "withdraw_pick"
    WITHDRAW_CONFIRM = "withdraw_confirm"
    LANGUAGE = "language"
    DELETE_CONFIRM = "delete_confirm"
    BROADCAST_CAMPAIGN = "broadcast_campaign"
    LINK_CONFIRM = "link_confirm"  # /lienket: what linking joins and who sees it, yes or no
    BROADCAST_AUDIENCE = "broadcast_audience"
    BROADCAST_UNIT = "broadcast_unit"
    BROADCAST_TEXT = "broadcast_text"
    BROADCAST_CONFIRM = "broadcast_confirm"
    ANSWER_PICK = "answer_pick"  # the questions waiting for an answer: pick one
    ANSWER_TEXT = "answer_text"  # one question shown: its answer is typed next
    ANSWER_REVIEW = "answer_review"  # a drafted answer: send to its askers, the group, later
    ANSWER_GROUP = "answer_group"  # the official sees every recipient before sending
    ANSWER_ALL = "answer_all"  # publish every drafted answer in the official's scope
    CONCLUSION_CONFIRM = "conclusion_confirm"  # publishing the conclusion notice
    CONCLUSION_CROSS_TOPIC = "conclusion_cross_topic"  # one answer for other topic groups?
    CLUSTER_MERGE_CONFIRM = "cluster_merge_confirm"
    FEEDBACK_CONFIRM = "feedback_confirm"  # what was said about an answer: which one, send?
    OFFICIAL_MENU = "official_menu"  # an official's words outside a step: what to do?
    DOCUMENT_PICK = "document_pick"  # /vanban: which document after the questions
    PROGRAMME_VIEW = "programme_view"  # /kichban shown, with its buttons


# States that hold an unfinished question draft (kept for the configured time).
DRAFT_STATES = frozenset(
    {
        State.CAMPAIGN,
        State.UNIT_CONFIRM,
        State.UNIT_QUERY,
        State.UNIT_PICK,
        State.NAME,
        State.CATEGORY,
        State.TOPIC,
        State.TEXT,
        State.SIMILAR,
        State.SUPPORTED,
        State.PREVIEW,
        State.AMEND,
        State.DRAFT_DROP,
    }
)

# States of an official's tasks: their prompts speak formally ("Đồng chí …"), the hint
# under a channel's numbered options included.
OFFICIAL_STATES = frozenset(
    {
        State.BROADCAST_CAMPAIGN,
        State.BROADCAST_AUDIENCE,
        State.BROADCAST_UNIT,
        State.BROADCAST_TEXT,
        State.BROADCAST_CONFIRM,
        State.ANSWER_PICK,
        State.ANSWER_TEXT,
        State.ANSWER_REVIEW,
        State.ANSWER_GROUP,
        State.ANSWER_ALL,
        State.CONCLUSION_CONFIRM,
        State.CONCLUSION_CROSS_TOPIC,
        State.CLUSTER_MERGE_CONFIRM,
        State.OFFICIAL_MENU,
        State.DOCUMENT_PICK,
        State.PROGRAMME_VIEW,
    }
)

# Youth categories the plans seek representation of (optional, "nhóm đối tượng").
CATEGORIES: tuple[str, ...] = (
    "officials",
    "armed_forces",
    "workers",
    "students",
    "ethnic_minority",
    "religious",
    "disability",
    "other",
)
