"""Who belongs to a campaign: the people its reminders, scheduled digests and broadcasts
reach when several campaigns run at once (a province's, its communes', another
province's on the same deployment).

A role given for one campaign belongs to that campaign only. A role given without one
(an invite made while several campaigns were open, ``youthbot invite`` without
``--campaign``) belongs to the campaigns whose area holds it: a secretary to those of
their unit (the province's campaign, and their own commune's); a department contact to
those of the home province, whose registry the department was chosen from (two
provinces both have a "Sở Nội vụ": the name alone does not say which); an organiser or
an administrator to every campaign, as access control says. Young people: a commune
campaign reaches its commune, a province campaign the units of the province, and those
who have not chosen a unit yet when it is the home province's.

The home province is ``YOUTHBOT_PROVINCE`` where the caller knows the settings, otherwise
the province the chat invites take (the first province loaded, by name).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage import Store
from storage.models import Campaign, Unit, UnitKind
from storage.roles import Role


@dataclass(frozen=True)
class Area:
    """Where a campaign's people are: its host unit and the host's province."""

    campaign_id: int
    level: str
    host_id: int
    host_code: str
    province: str | None  # the province's unit code ("p04")

    def holds(self, unit: Unit) -> bool:
        """The unit's questions go to this campaign (as the unit prompt offers them)."""
        if unit.id == self.host_id:
            return True
        if self.level == "commune":
            return unit.parent_code == self.host_code
        return self.province is not None and unit.province_code == self.province


async def campaign_area(store: Store, campaign: Campaign) -> Area:
    host = await store.units.get(campaign.host_unit_id)
    if host is None:
        province = None
    elif host.kind == UnitKind.PROVINCE:
        province = host.code
    else:
        province = host.province_code or host.parent_code
    return Area(
        campaign.id, campaign.level, campaign.host_unit_id, campaign.host_unit_code, province
    )


async def home_province(store: Store, configured: str | None = None) -> str | None:
    """The deployment's province unit code: ``configured`` when given, else the one the
    chat invites look departments up in."""
    if configured:
        return configured
    provinces = await store.units.all(kinds=[UnitKind.PROVINCE])
    return provinces[0].code if provinces else None


class Membership:
    """Answers "does this role belong to that campaign" for one pass (a tick, a
    broadcast), reading each unit and area once."""

    def __init__(self, store: Store, home: str | None) -> None:
        self._store = store
        self.home = home
        self._areas: dict[int, Area] = {}
        self._units: dict[int, Unit | None] = {}

    @classmethod
    async def open(cls, store: Store, configured_home: str | None = None) -> Membership:
        return cls(store, await home_province(store, configured_home))

    async def area(self, campaign: Campaign) -> Area:
        if campaign.id not in self._areas:
            self._areas[campaign.id] = await campaign_area(self._store, campaign)
        return self._areas[campaign.id]

    async def _unit(self, unit_id: int) -> Unit | None:
        if unit_id not in self._units:
            self._units[unit_id] = await self._store.units.get(unit_id)
        return self._units[unit_id]

    async def belongs(self, role: Role, campaign: Campaign) -> bool:
        if not role.active:
            return False
        if role.campaign_id is not None:
            return role.campaign_id == campaign.id
        if role.role == "secretary":
            unit = await self._unit(role.unit_id) if role.unit_id is not None else None
            return unit is not None and (await self.area(campaign)).holds(unit)
        if role.role == "department":
            return self.home is None or (await self.area(campaign)).province == self.home
        return True  # organisers and administrators without a campaign: every one

    async def holders(self, role: str, campaign: Campaign) -> list[Role]:
        """Active holders of ``role`` who belong to ``campaign``."""
        return [
            r
            for r in await self._store.roles.holders(role, campaign_id=campaign.id)
            if await self.belongs(r, campaign)
        ]

    async def youth(self, campaign: Campaign, *, wants_reminders: bool = False) -> list[int]:
        """Reachable young people who consented, of the campaign's area."""
        area = await self.area(campaign)
        if campaign.level == "commune":
            return await self._store.people.audience(
                "youth", host_unit_id=campaign.host_unit_id, wants_reminders=wants_reminders
            )
        return await self._store.people.audience(
            "youth",
            province_code=area.province,
            unplaced=area.province == self.home,
            wants_reminders=wants_reminders,
        )
