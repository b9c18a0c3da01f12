"""Who may do what: every privileged action is checked here, in one place, and audited.

Roles ("vai trò"): a young person has none; a secretary ("Bí thư Đoàn") acts for one unit;
an organiser (Tỉnh đoàn, Sở Nội vụ) for one campaign or all; a department contact ("sở,
ngành") for the questions routed to their department; an administrator for everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from handlers.audience import Membership
from storage import Store
from storage.models import Campaign
from storage.roles import Role


class Action(StrEnum):
    DIGEST = "digest"  # read a digest or export of questions
    SEE_NAMES = "names"  # see askers' names
    BROADCAST = "broadcast"  # send a message to many people
    INVITE = "invite"  # issue an invite code for a role
    MANAGE_ROLES = "roles"  # list and revoke roles
    EDIT_CLUSTERS = "clusters"  # merge, split, choose representatives
    ANSWER = "answer"  # record an official answer
    EDIT_CAMPAIGN = "campaign"  # change a campaign's dates and topics
    PROGRAMME = "programme"  # choose and edit the live programme ("kịch bản")
    CONCLUSION = "conclusion"  # the chair's answers, commitments, publish the conclusion


@dataclass(frozen=True)
class Scope:
    """What an action touches; ``None`` means "not restricted to one"."""

    campaign_id: int | None = None
    unit_id: int | None = None
    department: str | None = None
    role: str | None = None  # for INVITE: the role being given

    def describe(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in (
                ("campaign", self.campaign_id),
                ("unit", self.unit_id),
                ("department", self.department),
                ("role", self.role),
            )
            if value is not None
        ]
        return ",".join(parts) or "all"


def _campaign_ok(role: Role, scope: Scope) -> bool:
    # A role limited to one campaign never covers "all campaigns" (scope without one).
    return role.campaign_id is None or scope.campaign_id == role.campaign_id


def allows(role: Role, action: Action, scope: Scope) -> bool:
    """The policy, as a pure function of one role."""
    if role.role == "admin":
        return True
    if role.role == "organiser":
        if not _campaign_ok(role, scope):
            return False
        if action == Action.INVITE:
            return scope.role in ("secretary", "department")
        return action in (
            Action.DIGEST,
            Action.SEE_NAMES,
            Action.BROADCAST,
            Action.EDIT_CLUSTERS,
            Action.ANSWER,
            Action.EDIT_CAMPAIGN,
            Action.PROGRAMME,
            Action.CONCLUSION,
        )
    if role.role == "secretary":
        # A secretary sees their own unit's questions, and nothing of another unit's.
        return (
            action in (Action.DIGEST, Action.SEE_NAMES)
            and scope.unit_id is not None
            and scope.unit_id == role.unit_id
            and _campaign_ok(role, scope)
        )
    if role.role == "department":
        return (
            action in (Action.DIGEST, Action.ANSWER, Action.SEE_NAMES)
            and scope.department is not None
            and scope.department == role.department
            and _campaign_ok(role, scope)
        )
    return False


class Access:
    """A person's roles as access control reads them on a deployment with several
    campaigns: in a campaign, only the roles that belong to it (:mod:`handlers.audience`,
    the rule reminders follow). A department's role given without a campaign covers the
    home province's campaigns only: Cao Bằng's "Sở Nội vụ" is not Thái Nguyên's."""

    def __init__(self, store: Store, roles: Sequence[Role], members: Membership) -> None:
        self._store = store
        self.roles = list(roles)
        self._members = members
        self._campaigns: dict[int, Campaign | None] = {}

    @classmethod
    async def of(cls, store: Store, person_id: int, *, home: str | None = None) -> Access:
        """``home``: the deployment's province (EngineSettings.home_province)."""
        roles = await store.roles.of_person(person_id)
        return cls(store, roles, await Membership.open(store, home))

    async def roles_in(self, campaign_id: int | None) -> list[Role]:
        """The roles that count in ``campaign_id`` (all of them when it is None)."""
        if campaign_id is None:
            return self.roles
        if campaign_id not in self._campaigns:
            self._campaigns[campaign_id] = await self._store.campaigns.get(campaign_id)
        campaign = self._campaigns[campaign_id]
        if campaign is None:
            return []
        return [r for r in self.roles if await self._members.belongs(r, campaign)]

    async def granted(self, action: Action, scope: Scope) -> Role | None:
        """The role that allows ``action`` on ``scope``, or None (not audited)."""
        roles = await self.roles_in(scope.campaign_id)
        return next((r for r in roles if allows(r, action, scope)), None)


async def authorize(
    store: Store,
    person_id: int,
    action: Action,
    scope: Scope,
    *,
    now: datetime,
    home: str | None = None,
) -> Role | None:
    """The role that allows ``action`` on ``scope``, or None; both outcomes are audited.
    ``home``: the deployment's province, whose campaigns a department's role given
    without a campaign covers (:class:`Access`)."""
    access = await Access.of(store, person_id, home=home)
    granted = await access.granted(action, scope)
    await store.audit.record(
        "access.granted" if granted else "access.denied",
        at=now,
        actor_id=person_id,
        target=f"{action.value}:{scope.describe()}",
        detail={
            "role": granted.role if granted else None,
            "roles": [r.role for r in access.roles],
        },
    )
    return granted


async def natural_scope(
    store: Store, person_id: int, campaign_id: int, *, roles: Sequence[Role] | None = None
) -> tuple[Role, Scope] | None:
    """The widest digest scope a person's roles give in a campaign (organiser > department
    > secretary), used when they ask for "their" digest without naming a scope; among
    ``roles`` when given (those that belong to the campaign, for scheduled digests)."""
    if roles is None:
        roles = await store.roles.of_person(person_id)
    order = {"admin": 0, "organiser": 1, "department": 2, "secretary": 3}
    for role in sorted(roles, key=lambda r: order.get(r.role, 9)):
        if role.role in ("admin", "organiser") and _campaign_ok(role, Scope(campaign_id)):
            return role, Scope(campaign_id=campaign_id)
        if role.role == "department" and _campaign_ok(role, Scope(campaign_id)):
            return role, Scope(campaign_id=campaign_id, department=role.department)
        if role.role == "secretary" and _campaign_ok(role, Scope(campaign_id)):
            return role, Scope(campaign_id=campaign_id, unit_id=role.unit_id)
    return None


def role_may(role: Role, action: Action) -> bool:
    """Whether ``role`` allows ``action`` anywhere in the scope it covers (the access
    policy of :mod:`handlers.access`, asked with the role's own scope)."""
    if action == Action.INVITE:
        return any(
            allows(role, action, Scope(campaign_id=role.campaign_id, role=given))
            for given in ("secretary", "department", "organiser", "admin")
        )
    scope = Scope(campaign_id=role.campaign_id, unit_id=role.unit_id, department=role.department)
    return allows(role, action, scope)
