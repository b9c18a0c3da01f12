"""What an official ("cán bộ": organiser, secretary, department contact) gets for a message
in words between commands: "báo cáo", "câu hỏi chưa trả lời", "gửi thông báo" run the
command they mean; "khi nào đối thoại", "hạn chót" get the campaigns' dates, "cảm ơn" a
courteous word; anything else shows the tasks their roles allow, as buttons, with
"Gửi như một câu hỏi" for a text that was a question after all. Without this an official
typing "báo cáo" met the young people's consent text, addressed as "bạn".
"""

from __future__ import annotations

import dataclasses
import re

from bot.campaign.unitsearch import NAMED_SCORE
from bot.clustering.normalize import plain
from handlers import feedback
from handlers.access import Action, role_may
from handlers.engine import Choice, Ctx, Router
from handlers.events import EventKind
from handlers.states import State
from handlers.understanding import idle_request
from storage.roles import Role

router = Router()

# The command a short message means, the action its role must allow (None: any role), and
# the words that say it (compared without diacritics or punctuation).
_REQUESTS: tuple[tuple[str, Action | None, re.Pattern[str]], ...] = (
    ("phanhoi", Action.ANSWER, re.compile(r"\b(?:phan hoi|y kien ve tra loi|comments?)\b")),
    ("traloi", Action.ANSWER, re.compile(r"\b(?:tra loi|answers?|answer)\b")),
    (
        "baocao",
        Action.DIGEST,
        re.compile(
            r"\b(?:bao cao|tong hop|thong ke|so lieu|report|danh sach cau hoi|file excel"
            r"|bao nhieu cau hoi|may cau hoi|so cau hoi|how many questions)\b"
        ),
    ),
    ("thongbao", Action.BROADCAST, re.compile(r"\b(?:thong bao|gui tin|nhan tin|broadcast)\b")),
    ("vanban", Action.CONCLUSION, re.compile(r"\b(?:van ban|tai lieu|file word|documents?)\b")),
    ("kichban", Action.PROGRAMME, re.compile(r"\b(?:kich ban|chuong trinh|programme)\b")),
    ("ketluan", Action.CONCLUSION, re.compile(r"\b(?:ket luan|cam ket|conclusion)\b")),
    ("vaitro", None, re.compile(r"\b(?:vai tro|quyen|roles?)\b")),
    ("trogiup", None, re.compile(r"\b(?:huong dan|tro giup|help|lenh|commands?)\b")),
)
#: Longer messages are not read as a request: they are content (a question, an answer).
_REQUEST_WORDS = 8
# The buttons of the menu, in order, with the action the role must allow.
_MENU: tuple[tuple[str, Action | None], ...] = (
    ("traloi", Action.ANSWER),
    ("baocao", Action.DIGEST),
    ("thongbao", Action.BROADCAST),
    ("vanban", Action.CONCLUSION),
    ("trogiup", None),
)


def _allowed(roles: list[Role], action: Action | None) -> bool:
    return action is None or any(role_may(role, action) for role in roles)


def official_request(text: str, roles: list[Role]) -> str | None:
    """The command a short message of an official's means, if their roles allow it."""
    words = plain(text)
    if not words or len(words.split()) > _REQUEST_WORDS:
        return None
    for command, action, pattern in _REQUESTS:
        if pattern.search(words) and _allowed(roles, action):
            return command
    return None


async def official_idle(ctx: Ctx, text: str) -> bool:
    """Answer a message typed by an official outside any step; False for anyone else."""
    roles = await ctx.store.roles.of_person(ctx.person.id)
    if not roles:
        return False
    await _words_or_menu(ctx, text, roles)
    return True


async def _words_or_menu(ctx: Ctx, text: str, roles: list[Role], *, reset: bool = False) -> None:
    """A request in words is run; a comment on an answer offered as one; else the menu."""
    if await _official_words(ctx, text, roles, reset=reset):
        return
    # An official who also asked questions: a word about an answer they were told is
    # offered as their comment on it, as for any young person.
    open_campaign = bool(await ctx.engine.open_campaigns(ctx.now))
    if await feedback.offer(ctx, " ".join(text.split()), open_campaign=open_campaign):
        return
    _keep_text(ctx, text)
    show_tasks(ctx, roles)


async def _official_words(ctx: Ctx, text: str, roles: list[Role], *, reset: bool = False) -> bool:
    """A command said in words ("báo cáo"), the dates ("khi nào đối thoại") or thanks:
    answered, True; anything else False. ``reset``: leave the menu first."""
    command = official_request(text, roles)
    request = None if command is not None else idle_request(text)
    if command is None and request not in ("dates", "thanks"):
        return False
    if reset:
        ctx.reset()
    if command == "baocao" and (argument := await _report_argument(ctx, text)) is not None:
        await ctx.engine.command(ctx, command, argument)  # "tổng hợp câu hỏi xã Đàm Thuỷ"
    elif command is not None:
        await ctx.engine.command(ctx, command)
    elif request == "dates":  # "khi nào đối thoại", "hạn chót gửi câu hỏi là khi nào"
        from handlers.intake import tell_dates

        await tell_dates(ctx, official=True)
    else:
        ctx.say(ctx.tr("official.thanks"))
    return True


# Words of a report request that name no unit ("gửi giúp tôi báo cáo tổng hợp câu hỏi của").
_NOT_A_UNIT = re.compile(
    r"\b(?:bao cao|tong hop|thong ke|so lieu|report|cau hoi|y kien|kien nghi|thanh nien"
    r"|cua|cho|ve|xem|gui|lay|lam|giup|voi|di|nhe|a|ad|toi|minh|em|hom nay|moi nhat"
    r"|don vi|danh sach|file|excel|word|xin|co|bao nhieu|may|so|roi|chua|den nay|hien nay"
    r"|the|of|for|please|send|me|how many|questions?|list)\b"
)


async def _report_argument(ctx: Ctx, text: str) -> str | None:
    """What a report request names clearly ("tổng hợp câu hỏi xã Đàm Thuỷ"), as
    ``/baocao``'s argument: the unit's code; the words themselves when several units bear
    that name (``/baocao`` then lists them); None when no unit is named (the request
    covers the whole scope of the official's role)."""
    rest = " ".join(_NOT_A_UNIT.sub(" ", plain(text)).split())
    if len(rest.replace(" ", "")) < 3:
        return None
    matches = (await ctx.engine.unit_search()).search(rest[:100], limit=2)
    if not matches or matches[0].score < NAMED_SCORE:
        return None
    if len(matches) > 1 and matches[1].score >= NAMED_SCORE:
        return rest
    return matches[0].unit.code


def _keep_text(ctx: Ctx, text: str) -> None:
    """Keep a text that may be a question, for "Gửi như một câu hỏi" ("chào" is not)."""
    cleaned = " ".join(text.split())
    if len(cleaned) >= 25 and " " in cleaned and len(cleaned) <= ctx.settings.max_question_chars:
        ctx.data["official_text"] = cleaned
    else:
        ctx.data.pop("official_text", None)


async def official_start(ctx: Ctx) -> bool:
    """/start from an official: their tasks (and how to ask as a young person); False
    for anyone else."""
    roles = await ctx.store.roles.of_person(ctx.person.id)
    if not roles:
        return False
    ctx.reset()
    ctx.say(ctx.tr("official.start"))
    show_tasks(ctx, roles)
    return True


def show_tasks(ctx: Ctx, roles: list[Role]) -> None:
    """The tasks ``roles`` allow, as buttons ("Đồng chí cần làm việc gì?"), with "Gửi như
    một câu hỏi" for a text kept that may be a question."""
    buttons = [
        [Choice(ctx.tr(f"official.menu.{command}"), "om", command)]
        for command, action in _MENU
        if _allowed(roles, action)
    ]
    if ctx.data.get("official_text"):
        buttons.append([Choice(ctx.tr("official.menu.ask"), "om", "hoi")])
    ctx.ask(State.OFFICIAL_MENU, ctx.tr("official.menu"), buttons)


@router.action("om")
async def menu_pick(ctx: Ctx, command: str) -> None:
    text = str(ctx.data.get("official_text", ""))
    ctx.reset()
    if command == "hoi" and text:
        # As if "/hoi <text>" was typed: consent first if it was never given.
        from handlers.intake import ask_command

        ctx.event = dataclasses.replace(
            ctx.event, kind=EventKind.COMMAND, command="hoi", text=text, payload=None
        )
        await ask_command(ctx)
        return
    await ctx.engine.command(ctx, command)


@router.text(State.OFFICIAL_MENU)
async def menu_text(ctx: Ctx, text: str) -> None:
    """Words typed at the menu: read as outside any step (:func:`official_idle`)."""
    await _words_or_menu(ctx, text, await ctx.store.roles.of_person(ctx.person.id), reset=True)


@router.reask(State.OFFICIAL_MENU)
async def reask_menu(ctx: Ctx) -> None:
    show_tasks(ctx, await ctx.store.roles.of_person(ctx.person.id))
