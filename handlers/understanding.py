"""Reading a typed answer at a choice step: numbers, yes/no words, polite particles.

Young Vietnamese people answer a prompt the way they would answer a friend: "đồng ý ạ",
"dong y", "ok", "oke", "có", "ừ", "vâng", "đúng rồi", "gửi luôn nhé", "không", "ko",
"thôi", "số 2". This module turns such a reply into what it means, or into nothing when it
is not clearly an answer (the engine then asks again; it never guesses).

Pure functions: :func:`typed_number` ("2", "số 2", "câu 2 ạ", "hai") and :func:`intents`
(the meanings a short reply carries: ``yes``, ``no``, ``send``, ``skip``...; a choice
prompt's own words, :data:`CHOICE_INTENTS`); and for the free-text steps
:func:`name_without_intro` ("em tên là …"), :func:`declines_name`, :func:`lead_in_only`
("cho em hỏi ạ") and :func:`idle_request` ("cảm ơn", "khi nào có trả lời"). Words are
compared without diacritics, except the few whose meaning the diacritics decide: "đúng"
(right) and "đừng" (don't) are both "dung" unaccented, so bare "dung" means nothing.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.clustering.normalize import fold, plain

__all__ = [
    "INTENTS",
    "agrees_first",
    "ambiguous",
    "asks_about_privacy",
    "asks_if_answered",
    "declines_name",
    "drops_draft",
    "idle_request",
    "intents",
    "is_answer_word",
    "language_wish",
    "lead_in_only",
    "meaningful",
    "name_without_intro",
    "names_a_question",
    "never_mind",
    "other_unit",
    "question_like",
    "says_other_unit",
    "typed_number",
    "wants_anonymous",
]

# What each intent is said with (unaccented, lower case, one space between words, runs of
# a repeated letter written once: "okkk" and "khongg" are "ok" and "khong").
_YES = {
    "dong y",
    "dong y het",
    "dong y roi",
    "co",
    "co chu",
    "co a",
    "ok",
    "oke",
    "okie",
    "oki",
    "okay",
    "okela",
    "okla",
    "oce",
    "ok luon",
    "u",
    "uh",
    "um",
    "uhm",
    "uk",
    "vang",
    "da",
    "da vang",
    "da co",
    "dung roi",
    "dung vay",
    "dung the",
    "chuan",
    "chuan roi",
    "chinh xac",
    "phai",
    "phai roi",
    "duoc",
    "dc",
    "duoc roi",
    "xac nhan",
    "tat nhien",
    "chac chan",
    "yes",
    "y",
    "yep",
    "yeah",
    "sure",
    "agree",
    "i agree",
}
# Teencode: "vg" (vâng), "đk" (được), "ừa", "ukm", "uki", "oh ok".
_YES |= {"vg", "dk", "ua", "ukm", "uki", "oh ok", "o ok"}
_YES |= {"yup", "ya", "yea", "okey", "sure thing", "of course", "alright"}
# "đc rồi", "oke rồi", "uk rồi": the same yes ("đc r" is trimmed to "dc").
_YES |= {f"{w} roi" for w in ("ok", "oke", "okie", "oki", "okay", "dc", "uk", "um", "vang")}
_NO = {
    "khong",
    "ko",
    "k",
    "kh",
    "khg",
    "kg",
    "hong",
    "hok",
    "hem",
    "hk",
    "khum",
    "khong dong y",
    "ko dong y",
    "k dong y",
    "khong dong y dau",
    "khong co",
    "ko co",
    "chua",
    "chua dong y",
    "thoi",
    "thoi khoi",
    "khoi",
    "khong muon",
    "ko muon",
    "tu choi",
    "no",
    "nope",
    "no thanks",
    "disagree",
    "i disagree",
    "decline",
}
# "ko đâu", "hông đâu": no.
_NO |= {f"{neg} dau" for neg in ("khong", "ko", "k", "kh", "hong", "hok", "khum")}
_NO |= {"nah"}
# "không phải", "ko đúng": no (the unit offered, "Bạn thuộc … phải không?").
_NO |= {
    f"{neg} {word}{tail}"
    for neg in ("khong", "ko", "k", "kh", "hong", "hok")
    for word in ("phai", "dung")
    for tail in ("", " dau")
}
# "ko đồng ý đâu", "hok đồng ý": every way of writing "không" before "đồng ý".
_NO |= {
    f"{neg} dong y{tail}"
    for neg in ("khong", "ko", "k", "kh", "khg", "hong", "hok", "khum")
    for tail in ("", " dau")
}
_SEND = {
    "gui",
    "gui di",
    "gui luon",
    "gui cau hoi",
    "gui cau nay",
    "gui lun",
    "gui lien",
    "gui ngay",
    "nop",
    "nop di",
    # "cứ gửi đi", "thôi gửi luôn": send it anyway.
    "cu gui",
    "cu gui di",
    "cu gui luon",
    "thoi gui",
    "thoi gui di",
    "thoi gui luon",
    "thoi cu gui",
    "thoi cu gui di",
    "send",
    "send it",
    "submit",
}
_SKIP = {
    "bo qua",
    "bo",
    "skip",
    "pass",
    "next",
    "qua",
    "tiep",
    "tiep tuc",
    "tiep theo",
    "di tiep",
    "continue",
    "khong",
    "ko",
    "k",
    "thoi",
    "khong co",
    "ko co",
    "khong thuoc nhom nao",
    "khong nhom nao",
    "khong biet",
    "ko biet",
}
_CANCEL = {
    "huy",
    "huy bo",
    "huy di",
    "cancel",
    "khong gui nua",
    "ko gui nua",
    "k gui nua",
    "thoi khong gui",
    "thoi khong gui nua",
    "thoi ko gui nua",
    "thoi khong hoi nua",
    "khong hoi nua",
    "ko hoi nua",
    "thoi huy",
    "thoi huy di",
    "never mind",
    "nvm",
    "cancel it",
    "dont send",
    "dont ask",
    # "em hỏi xong rồi": nothing more to ask (only before a question is written).
    "hoi xong roi",
    "em hoi xong roi",
    "minh hoi xong roi",
    "gui xong roi",
    "em gui xong roi",
    "minh gui xong roi",
    "khong con cau hoi nao",
    "het cau hoi roi",
    "im done",
    "thats all",
} | {
    # "thôi em không hỏi nữa", "mình không gửi nữa đâu", "e k muốn hỏi nữa"
    f"{lead}{speaker}{neg} {want}{verb} nua{tail}"
    for lead in ("", "thoi ")
    for speaker in ("", "em ", "minh ", "toi ", "to ")
    for neg in ("khong", "ko", "k", "hok")
    for want in ("", "muon ")
    for verb in ("hoi", "gui")
    for tail in ("", " dau")
}
# At the question's preview: "never mind", drop it (asked to confirm; "không" alone is
# asked too). Compared after the politeness is trimmed ("thôi bỏ đi ạ" → "thoi bo").
_DROP = {
    "thoi",
    "thoi khoi",
    "khoi",
    "khoi gui",
    "thoi khoi gui",
    "bo",
    "bo qua",
    "thoi bo",
    "thoi bo qua",
    "bo cau hoi",
    "bo cau nay",
    "bo cau hoi nay",
    "xoa",
    "xoa cau hoi",
    "thoi xoa",
    "khong gui",
    "ko gui",
    "k gui",
    "khong gui dau",
    "ko gui dau",
    "k gui dau",
    "dung gui",
    "thoi dung gui",
    "khong hoi",
    "ko hoi",
    "forget it",
    "drop it",
    "dont send it",
}
_ADD = {"them", "them vao", "them vao cau hoi", "bo sung", "ghep", "ghep vao", "noi them"}
# "thêm vô", "gộp vào", "cả hai": both, together.
_ADD |= {"them vo", "gop", "gop vao", "gop lai", "ca hai", "ca 2", "giu ca hai", "noi vao"}
_REPLACE = {
    "lay cau moi",
    "lay cau sau",
    "cau sau",
    "thay",
    "thay the",
    "thay cau",
    "thay cau hoi",
    "dung cau moi",
    "cau moi",
    "replace",
}
_KEEP = {"bo qua", "giu nguyen", "giu", "giu cau cu", "khong", "ko", "thoi", "ignore", "keep"}
_KEEP |= {
    # "thôi không sửa nữa", "ko sửa đâu", "khỏi sửa": the question stays as it is.
    f"{lead}{neg} {verb}{tail}"
    for lead in ("", "thoi ")
    for neg in ("khong", "ko", "k", "khoi", "khong can", "ko can")
    for verb in ("sua", "doi", "sua cau hoi", "doi cau hoi")
    for tail in ("", " nua", " dau", " nua dau")
} | {"thoi khoi", "khoi", "de nguyen", "giu nguyen cau cu", "no change", "keep it"}
_ANONYMOUS = {
    "an danh",
    "xin an danh",
    "cho an danh",
    "an danh nhe",
    "giau ten",
    "an ten",
    "dau ten",
    "bi mat",
    "giu bi mat",
    "khong ghi ten",
    "ko ghi ten",
    "khong neu ten",
    "ko neu ten",
    "khong de ten",
    "khong can ten",
    "khong muon ghi ten",
    "khong muon neu ten",
    "khong muon de ten",
    "khong muon noi ten",
    "ko muon ghi ten",
    "ko muon neu ten",
    "khong tien neu ten",
    "anonymous",
    "no name",
}
_ANONYMOUS |= {
    # "em muốn hỏi kín", "cho em gửi ẩn danh được không", "hỏi giấu tên"
    f"{wish}{verb} {how}{tail}"
    for wish in ("", "muon ", "xin ", "duoc ", "cho em ", "cho minh ", "cho e ", "cho mk ")
    for verb in ("hoi", "gui")
    for how in ("kin", "an danh", "giau ten", "bi mat", "khong ten", "khong ghi ten")
    for tail in ("", " duoc khong", " duoc ko", " dc khong", " dc ko", " duoc")
} | {"giu kin", "giu kin ten", "kin ten", "an danh duoc khong", "an danh dc khong"}
_ANONYMOUS |= {f"muon {how}" for how in ("an danh", "giau ten", "an ten", "dau ten", "giu kin ten")}
# "cho em ẩn danh nhé", "để ẩn danh giúp em", "ko muốn để tên", "đừng ghi tên em", "k để
# tên dc k": were no anonymity at the preview (offered as words to add to the question).
_ANONYMOUS |= {
    f"{wish}{how}{tail}"
    for wish in ("", "cho ", "cho em ", "cho e ", "cho minh ", "cho mk ", "de ", "de em ")
    for how in (
        *("an danh", "giau ten", "an ten", "dau ten", "giu kin ten"),
        *(
            f"{neg} {mid}{verb} ten"
            for neg in ("khong", "ko", "k", "dung")
            for mid in ("", "muon ", "can ")
            for verb in ("ghi", "neu", "de", "noi")
        ),
    )
    for tail in (
        *("", " giup", " voi", " giup voi"),
        *(" duoc khong", " duoc ko", " duoc k", " dc khong", " dc ko", " dc k"),
    )
}
_GREETING = {
    "chao",
    "xin chao",
    "chao ca nha",
    "hi",
    "hello",
    "helo",
    "alo",
    "a lo",
    "hey",
    "good morning",
    "good evening",
    # "ad ơi", "bot ơi": calling whoever is at the other end.
    "ad oi",
    "admin oi",
    "bot oi",
    "alo ad",
    "chao ad",
    "chao admin",
    "chao bot",
}
# "Còn ý nào khác không?" answered "đủ rồi", "không cần đâu", "hết rồi": nothing more to
# add (only where a prompt offers a "that's all" option).
_ENOUGH = {
    "du",
    "du roi",
    "vay la du",
    "the la du",
    "nhu vay la du",
    "vay du roi",
    "the du roi",
    "khong can",
    "ko can",
    "k can",
    "kh can",
    "khong can dau",
    "ko can dau",
    "k can dau",
    "khong can nua",
    "ko can nua",
    "khong can gui",
    "ko can gui",
    "het roi",
    "het",
    "vay thoi",
    "the thoi",
    "chi vay thoi",
    "khong co y khac",
    "khong co y gi khac",
    "khong co y nao khac",
    "ko co y khac",
    "ko co y gi khac",
    "khong con y khac",
    "khong con y nao khac",
    "khong con gi",
    "khong con gi nua",
    "enough",
    "thats enough",
    "thats it",
    "thats all",
    "that s enough",  # "that's …": the apostrophe splits the word
    "that s it",
    "that s all",
    "no need",
    "nothing else",
    "nothing more",
}
_VIETNAMESE = {"vi", "vn", "viet", "tieng viet", "vietnamese"}
_ENGLISH = {"en", "eng", "english", "anh", "tieng anh"}

_REPEATS = re.compile(r"([a-z])\1+")


def _spelled(words: set[str]) -> frozenset[str]:
    # Compared as typed replies are: a doubled letter written once ("agree" → "agre").
    return frozenset(_REPEATS.sub(r"\1", w) for w in words)


INTENTS: dict[str, frozenset[str]] = {
    "yes": _spelled(_YES),
    "no": _spelled(_NO),
    "send": _spelled(_YES | _SEND),
    "skip": _spelled(_SKIP),
    "cancel": _spelled(_CANCEL),
    "add": _spelled(_ADD),
    "replace": _spelled(_REPLACE),
    "keep": _spelled(_KEEP),
    "anonymous": _spelled(_ANONYMOUS),
    "greeting": _spelled(_GREETING),
    "enough": _spelled(_ENOUGH),
    "vi": _spelled(_VIETNAMESE),
    "en": _spelled(_ENGLISH),
}

# What young people call their group when they type it instead of tapping it (the
# category prompt, "Bạn thuộc nhóm nào?"): intents "category.<name>". Kept apart from
# INTENTS, so that these words are never taken for answer words elsewhere (a name).
_ETHNIC = (
    "tay",
    "nung",
    "mong",
    "hmong",
    "h mong",
    "san chay",
    "san diu",
    "lo lo",
    "pa then",
    "muong",
    "khmer",
    "e de",
    "ede",
    "gia rai",
    "ba na",
    "cham",
)
_CATEGORY_WORDS: dict[str, set[str]] = {
    "officials": {
        "can bo",
        "cong chuc",
        "vien chuc",
        "can bo cong chuc",
        "can bo xa",
        "can bo doan",
        "giao vien",
        "co giao",
        "thay giao",
        "bac si",
        "y si",
        "y ta",
        "dieu duong",
        "lam nha nuoc",
        "lam co quan nha nuoc",
        "nhan vien nha nuoc",
        "civil servant",
        "official",
    },
    "armed_forces": {
        "bo doi",
        "quan doi",
        "quan nhan",
        "chien si",
        "si quan",
        "cong an",
        "chien si cong an",
        "dan quan",
        "dan quan tu ve",
        "bien phong",
        "bo doi bien phong",
        "dang di nghia vu",
        "soldier",
        "police",
        "army",
    },
    "workers": {
        "cong nhan",
        "lam cong nhan",
        "lam cong ty",
        "lam nha may",
        "lam xi nghiep",
        "cong nhan nha may",
        "cong nhan khu cong nghiep",
        "lam khu cong nghiep",
        "worker",
        "factory worker",
    },
    "students": {
        "hoc sinh",
        "sinh vien",
        "hs",
        "sv",
        "hssv",
        "hoc vien",
        "hoc nghe",
        "dang hoc nghe",
        "di hoc",
        "dang di hoc",
        "con di hoc",
        "student",
        "pupil",
    },
    "ethnic_minority": {
        "dan toc",
        "nguoi dan toc",
        "dan toc thieu so",
        "dtts",
        "nguoi dao",
        "dan toc dao",
        "nguoi thai",
        "dan toc thai",
        "nguoi hoa",
        "ethnic minority",
    }
    | set(_ETHNIC)
    | {f"nguoi {name}" for name in _ETHNIC}
    | {f"dan toc {name}" for name in _ETHNIC},
    "religious": {
        "ton giao",
        "tin do",
        "theo dao",
        "co dao",
        "cong giao",
        "thien chua giao",
        "theo dao thien chua",
        "phat tu",
        "phat giao",
        "theo dao phat",
        "tin lanh",
        "theo dao tin lanh",
        "religious",
    },
    "disability": {
        "khuyet tat",
        "nguoi khuyet tat",
        "khiem thi",
        "khiem thinh",
        "khuyet tat van dong",
        "disabled",
        "disability",
    },
    "other": {
        "khac",
        "nhom khac",
        "nong dan",
        "lam nong",
        "lam ruong",
        "lam nuong",
        "lam vuon",
        "chan nuoi",
        "thanh nien nong thon",
        "nong thon",
        "tu do",
        "lam tu do",
        "lao dong tu do",
        "kinh doanh",
        "tu kinh doanh",
        "buon ban",
        "ban hang",
        "noi tro",
        "that nghiep",
        "chua co viec",
        "chua co viec lam",
        "xuat ngu",
        "bo doi xuat ngu",
        "thanh nien xuat ngu",
        "di lam xa",
        "lao dong xa que",
        "farmer",
        "other",
    },
}
# At the similar-question prompt (one earlier question shown): "it's the same as mine"
# or "mine is different, send it".
_SAME = {
    "giong",
    "giong roi",
    "giong cau",
    "giong cau nay",
    "giong cau cua",
    "giong cua",
    "giong het",
    "y chang",
    "cau nay",
    "dung cau nay",
    "chinh la cau nay",
    "cau nay giong",
    "cau nay giong cau",
    "cau nay giong cua",
    "cau nay giong cau cua",
    "ung ho",
    "ung ho cau nay",
    "cung muon hoi",
    "cung muon hoi cau nay",
    "cung hoi cau nay",
    "same",
    "same question",
    "same as mine",
    "me too",
}
_DIFFERENT = _SEND | {
    "van gui",
    "van gui cau cua",
    "gui cau cua",
    "gui cau",
    "khac",
    "khac nhau",
    "cau cua khac",
    "cua khac",
    "cua em khac",
    "cua minh khac",
    "cau cua em khac",
    "cau cua minh khac",
    "cau em khac",
    "cau minh khac",
    "y em khac",
    "y cua em khac",
    "em hoi khac",
    "minh hoi khac",
    "khong giong",
    "ko giong",
    "k giong",
    "khong giong dau",
    "ko giong dau",
    "k giong dau",
    "khong giong nhau",
    "ko giong nhau",
    "cau khac",
    "khac han",
    "khac hoan toan",
    "khong phai",
    "khong phai cau nay",
    "ko phai",
    "different",
    "not the same",
}
_OWNERS = ("", " em", " minh", " toi")
#: Intents only a choice prompt asks for (:func:`intents` reads them; answer words don't).
CHOICE_INTENTS: dict[str, frozenset[str]] = (
    {
        f"category.{name}": _spelled(
            words | {f"la {w}" for w in words} | {f"thuoc {w}" for w in words}
        )
        for name, words in _CATEGORY_WORDS.items()
    }
    | {
        # "giống câu của em", "gửi câu của mình": an owner word at the end, or none.
        "similar.same": _spelled({w + owner for w in _SAME for owner in _OWNERS}),
        "similar.different": _spelled({w + owner for w in _DIFFERENT for owner in _OWNERS}),
    }
    | {
        # The preview's changes said in words ("em muốn sửa câu hỏi", "đổi đơn vị"): the
        # wish in front ("muốn", "cho em") or none, the object after or none.
        f"preview.{part}": _spelled(
            {
                f"{wish}{verb}{again}{target}"
                for wish in (
                    *("", "muon ", "cho em ", "cho minh ", "em muon ", "minh muon "),
                    *("de ", "de em ", "de e ", "de minh "),  # "để e sửa"
                )
                for verb in verbs
                for again in ("", " lai")
                for target in targets
            }
        )
        for part, verbs, targets in (
            (
                "text",
                ("sua", "chinh sua", "viet lai"),
                ("", " cau hoi", " noi dung", " cau"),
            ),
            (
                "topic",
                ("doi", "sua", "chon lai", "sai", "nham"),  # "nhầm vấn đề rồi"
                (" van de", " chu de", " nhom van de", " linh vuc"),
            ),
            (
                "unit",
                ("doi", "sua", "chon lai", "sai", "nham"),
                (" don vi", " xa", " phuong", " truong"),
            ),
            ("name", ("doi", "sua", "sai", "nham", "viet sai"), (" ten", " ho ten", " ho va ten")),
            (
                "contacts",
                ("bo", "xoa", "an", "che", "bo di", "xoa di"),
                (
                    " so dien thoai",
                    " so dt",
                    " sdt",
                    " so",
                    " so lien lac",
                    " thong tin lien lac",
                    " email",
                    " mail",
                ),
            ),
        )
    }
    | {
        # "Rút câu hỏi …?": "rút đi", "ừ rút", "xóa đi"; "ko rút nữa", "thôi khỏi rút",
        # "để đó" (they were "Mình chưa hiểu ý bạn").
        "withdraw.yes": _spelled(
            {
                f"{lead}{verb}{what}"
                for lead in ("", "u ", "ok ", "oke ", "vang ", "co ", "thoi ")
                for verb in ("rut", "rut lai", "xoa")  # not "hủy": cancel what?
                for what in ("", " cau nay", " cau hoi", " cau hoi nay", " no")
            }
        ),
        "withdraw.no": _spelled(
            {
                f"{lead}{neg} {verb}{tail}"
                for lead in ("", "thoi ")
                for neg in ("khong", "ko", "k", "khoi")  # not "dung": "đừng" or "đúng"?
                for verb in ("rut", "xoa")
                for tail in ("", " nua", " dau", " nua dau")
            }
            | {"de do", "de nguyen", "giu", "giu nguyen", "thoi khoi", "khong rut nua"}
        ),
        # "Bạn muốn … xóa dữ liệu của mình?": "xóa đi", "ừ xóa hết"; "ko xóa nữa", "để đó".
        "delete.yes": _spelled(
            {
                f"{lead}xoa{what}"
                for lead in ("", "u ", "ok ", "oke ", "vang ", "co ")
                for what in ("", " het", " du lieu", " het du lieu", " het di")
            }
        ),
        "delete.no": _spelled(
            {
                f"{lead}{neg} xoa{tail}"
                for lead in ("", "thoi ")
                for neg in ("khong", "ko", "k", "khoi")
                for tail in ("", " nua", " dau", " nua dau")
            }
            | {"de do", "de nguyen", "giu", "giu lai", "giu nguyen", "thoi khoi"}
        ),
    }
)

# Words whose meaning is in their diacritics: read only when typed with them.
_ACCENTED: dict[str, str] = {"đúng": "yes", "đừng": "no", "dạ": "yes", "ừ": "yes", "ờ": "yes"}
_ACCENTED_INTENTS: dict[str, frozenset[str]] = {
    "yes": frozenset({"yes", "send"}),
    "no": frozenset({"no"}),
}

# Politeness and filler around an answer: "dạ đồng ý ạ", "em đồng ý nhé", "ok cảm ơn";
# "e", "mk", "mik": "em" and "mình" in teencode ("e đồng ý").
_LEADING = (
    "da",
    "em",
    "minh",
    "toi",
    "to",
    "tui",
    "con",
    "chau",
    "uhm",
    "um",
    "a",
    "e",
    "mk",
    "mik",
)
_TRAILING = (
    "a",
    "ah",
    "ak",
    "nhe",
    "nha",
    "nhen",
    "ne",
    "nhi",
    "ha",
    "hen",
    "day",
    "di",
    "luon",
    "lun",
    "r",  # "rồi" in teencode: "đc r", "ok r"
    "ma",  # "khác mà", "đồng ý mà"
    "e",  # "em" in teencode: "ok e", "gửi đi e"
    "gium",  # "gửi giùm em", "gửi dùm"
    "dum",
    "gium e",
    "dum e",
    "nhe ad",
    "ad",
    "admin",
    "bot",
    "ban",
    "em",
    "cam on",
    "cam on ban",
    "cam on ad",
    "thanks",
    "thank",
    "thank you",
    "tks",
    "thx",
    "please",
    "pls",
)
_TRAILING_SORTED = sorted(_TRAILING, key=len, reverse=True)

_NUMBER_WORDS = {
    "một": 1,
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "bon": 4,
    "tư": 4,
    "năm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
    "chin": 9,
    "mười": 10,
    "muoi": 10,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
}
# The words before an option's number: "số 2", "chọn 2", "câu 2", "cái thứ 3", "nhóm số 2",
# "chọn phương án 1", "option 2" (unaccented; the number follows).
_NUMBER_PREFIX = re.compile(
    r"^(?=\S+ )(?:chon )?(?:(?:giong|giong voi|giong nhu|ung ho|cung hoi) )?"  # "giống câu 1"
    r"(?:(?:cai|nhom|muc|dong|cau|y|lua chon|phuong an|option|number|no) )?"
    r"(?:(?:so|thu) )?"
)
_EMOJI = {
    "👍": "yes",
    "👌": "yes",
    "✅": "yes",
    "🆗": "yes",
    "👎": "no",
    "❌": "no",
    "🙅": "no",
}
_NOT_WORD = re.compile(r"[^\w\s]+")
# "kkk", "kkkk": laughter, not "k" (không) said several times.
_LAUGH = re.compile(r"^[kK]{2,}[\s!.]*$")
# Around an emoji: its presentation selector, a skin tone, spaces.
_EMOJI_NOISE = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff\\s]")
_DIGITS = re.compile(r"^#?\(?(\d{1,2})\)?[.)]?$")
_KEYCAPS = {f"{d}\ufe0f\u20e3": d for d in range(10)} | {f"{d}\u20e3": d for d in range(10)}


def _words(text: str) -> str:
    """Unaccented words of ``text``: punctuation gone, repeated letters written once."""
    folded = fold(_NOT_WORD.sub(" ", unicodedata.normalize("NFC", text)))
    return _REPEATS.sub(r"\1", folded)


def _trim(words: str, *, leading: bool = True) -> str:
    """``words`` without the politeness around them ("da dong y a" → "dong y")."""
    changed = True
    while changed and words:
        changed = False
        for tail in _TRAILING_SORTED:
            if words.endswith(" " + tail) and len(words) > len(tail) + 1:
                words = words[: -len(tail) - 1]
                changed = True
                break
        head, _, rest = words.partition(" ")
        if leading and rest and head in _LEADING:
            words = rest
            changed = True
    return words


def meaningful(text: str) -> str:
    """The words of a short reply that carry its meaning ("Dạ, đồng ý ạ!" → "dong y")."""
    return _trim(_words(text))


def typed_number(text: str) -> int | None:
    """The option number in a reply ("2", "2.", "#2", "số 2", "câu 2 ạ", "hai", "2️⃣")."""
    stripped = text.strip()
    if stripped in _KEYCAPS:
        return _KEYCAPS[stripped]
    match = _DIGITS.match(stripped)
    if match:
        return int(match.group(1))
    lowered = unicodedata.normalize("NFC", stripped).lower().strip(" .!?")
    if lowered in _NUMBER_WORDS:
        return _NUMBER_WORDS[lowered]
    words = meaningful(text)
    prefix = _NUMBER_PREFIX.match(words)
    if prefix is not None and prefix.end() > 0:
        rest = words[prefix.end() :]
        if rest.isdecimal() and len(rest) <= 2:
            return int(rest)
        if rest in _NUMBER_WORDS and rest.isascii():
            return _NUMBER_WORDS[rest]
    if words.isdecimal() and len(words) <= 2:
        return int(words)
    return None


@lru_cache(maxsize=4096)
def intents(text: str) -> frozenset[str]:
    """Every intent a short reply clearly carries (empty when it carries none).

    "đồng ý" is ``yes`` and ``send``; "Không đồng ý" is ``no``; "không" is ``no``,
    ``skip`` and ``keep`` (the prompt decides which of its options that is); a sentence
    is nothing.
    """
    stripped = unicodedata.normalize("NFC", text).strip()
    if len(stripped) > 60 or _LAUGH.match(stripped):
        return frozenset()
    # "👍", "👍🏻" (a skin tone), "👍👍": the same thumbs-up.
    emoji = _EMOJI_NOISE.sub("", stripped)
    if emoji and emoji[0] in _EMOJI and emoji == emoji[0] * len(emoji):
        return _ACCENTED_INTENTS[_EMOJI[emoji[0]]]
    lowered = _NOT_WORD.sub(" ", stripped.lower()).split()
    core = [w for w in lowered if fold(w) not in ("a", "nhe", "nha", "roi", "r", "ma", "di")]
    if len(core) == 1 and core[0] in _ACCENTED:
        return _ACCENTED_INTENTS[_ACCENTED[core[0]]]
    words = meaningful(stripped)
    if not words:
        return frozenset()
    # Said whole before its first word is taken for politeness: "Ê Đê" is a people, not
    # "e" (em) and "Đê".
    whole = _said(_trim(_words(stripped), leading=False)) or _said(words)
    if whole:
        return whole
    # Two answers in a row ("ok gửi đi", "vâng đồng ý"): what both say, nothing when they
    # disagree ("ok không").
    split = words.split()
    for cut in range(1, len(split)):
        # The second part trimmed too: "vâng ạ em đồng ý" is "vâng" and "đồng ý".
        first, second = _said(" ".join(split[:cut])), _said(_trim(" ".join(split[cut:])))
        if first and second:
            if first <= _AGREEING and not second & _DECLINING:
                # "ok gửi đi": an "ok" in front adds nothing to what follows.
                return second
            return first & second
    return frozenset()


# What an "ok", "vâng" in front of another answer says; what it cannot go with.
_AGREEING = frozenset({"yes", "send"})
_DECLINING = frozenset({"no", "skip", "keep", "cancel"})


def _said(words: str) -> frozenset[str]:
    return frozenset(
        name
        for intents_of in (INTENTS, CHOICE_INTENTS)
        for name, said in intents_of.items()
        if words in said
    )


_DROP_SAID = _spelled(_DROP)


def drops_draft(text: str) -> bool:
    """Whether ``text`` at the question's preview means "never mind, drop it" ("thôi",
    "thôi khỏi", "bỏ đi", "không gửi nữa"): asked to confirm, never a nudge to send."""
    return meaningful(text) in _DROP_SAID or "cancel" in intents(text)


_NEVER_MIND_SAID = _spelled({"thoi", "thoi khoi", "thoi bo", "thoi khong", "thoi khong can"})


def never_mind(text: str) -> bool:
    """Whether ``text`` at a step of a question not written yet (the unit, the name, the
    topic) means "never mind" ("thôi", "thôi khỏi", "thôi không hỏi nữa")."""
    return meaningful(text) in _NEVER_MIND_SAID or "cancel" in intents(text)


# "đồng ý nhưng em muốn giấu tên", "ok, ẩn danh nha": two answers in one message.
_BUT = re.compile(r"\s*(?:\b(?:nhưng|nhung|mà)\b|[,;])\s*", re.IGNORECASE)


#: Every way of asking for anonymity (``INTENTS["anonymous"]``) has one of these words:
#: a question text without any of them is not read part by part (the question step's
#: costliest check, a few hundred characters split at every comma).
ANONYMOUS_STEMS = re.compile(
    r"\b(?:an danh|(?:giau|an|dau|ghi|neu|de|can|noi|khong|kin) ten|bi mat|kin|anonymous"
    r"|no name)\b"
)
_NOT_A_WORD = re.compile(r"[\W_]+")


def wants_anonymous(text: str) -> bool:
    """Whether ``text`` asks to send anonymously, alone or after another answer ("ẩn
    danh", "đồng ý nhưng em muốn giấu tên")."""
    folded = _REPEATS.sub(r"\1", _NOT_A_WORD.sub(" ", fold(text)))
    if not ANONYMOUS_STEMS.search(folded):  # "kín", not "kinh tế"
        return False
    return "anonymous" in intents(text) or any(
        "anonymous" in intents(part) for part in _BUT.split(text) if part.strip()
    )


def agrees_first(text: str) -> bool:
    """Whether ``text`` starts with a yes and says something more ("đồng ý, ẩn danh nha",
    "ok ẩn danh", "đồng ý nhưng em muốn giấu tên")."""
    parts = [part for part in _BUT.split(text) if part.strip()]
    if len(parts) > 1 and "yes" in intents(parts[0]) and intents(parts[0]) <= _AGREEING:
        return True
    split = meaningful(text).split()
    for cut in range(1, len(split)):
        first = _said(" ".join(split[:cut]))
        if "yes" in first and first <= _AGREEING:
            return True
    return False


# What the consent notice answers, asked at the consent ("ai xem được câu hỏi của em?",
# "thông tin có bị lộ ko", "lưu bao lâu v"): who sees, leaks, safety, how long it is kept.
_ABOUT_PRIVACY = re.compile(
    r"\bai (?:se |duoc |co the )?(?:xem|doc|biet|thay)\b"
    r"|\bbao mat\b|\b(?:bi lo|lo ra|lo thong tin|lo ten)\b"
    r"|\ban toan (?:khong|ko|k|kh|khg|chu|ha|hong|hok)\b"
    r"|\blu (?:bao lau|den bao gio|den khi nao)\b"  # "lưu" (letters run together)
)
# How a question for the dialogue starts: never one about the notice.
_FOR_THE_DIALOGUE = re.compile(r"\b(?:muon hoi|cho (?:em|e|minh|mk|toi) hoi|kien nghi|de xuat)\b")


def asks_about_privacy(text: str) -> bool:
    """Whether ``text``, at the consent, asks what the notice answers (who sees the data,
    whether it leaks, how long it is kept) rather than being a question for the chair."""
    words = _words(text)
    return (
        len(words.split()) <= 12
        and bool(_ABOUT_PRIVACY.search(words))
        and not _FOR_THE_DIALOGUE.search(words)
    )


# "sai rồi", "nhầm", "em ở xã khác": the unit offered is not the person's.
_OTHER_UNIT = re.compile(
    r"^(?:sai|nham)\b|\b(?:xa|phuong|truong|cho|noi|don vi|co quan|cong ty) khac\b"
)


def says_other_unit(text: str) -> bool:
    """Whether ``text``, asked "Bạn thuộc … phải không?", says it is another unit."""
    return bool(_OTHER_UNIT.search(meaningful(text)))


# "à nhầm, em ở xã Hòa An", "sai đơn vị rồi, e học ở phường Tân Giang", "mình thuộc xã Hà
# Quảng ạ": the person's unit is another one, said after the unit step. The unit's name
# ends the message (or "chứ không phải …" follows): "em ở xã này đường xấu" is a question.
_MY_UNIT = re.compile(
    r"^(?:(?:a|a ha|ui|oi|xin loi|sory|ops|oh|no|wrong|wrong one|actually)\s+)*"
    r"(?:(?:nham|sai|chon nham|chon sai)(?: don vi)?(?: roi| r)?\s+)?"
    r"(?:(?:(?:em|e|minh|mk|mik|toi|to|tui|chau|con)\s+)?(?:dang\s+)?"
    r"(?:o|song o|hoc o|lam o|lam viec o|sinh hoat o|thuoc)"
    # "oops I live in xa hoa an", "sorry, I'm from phuong tan giang"
    r"|i(?: m| am)?\s+(?:live in|study at|study in|work at|work in|in|from|at))\s+"
    r"(?P<unit>(?:xa|phuong|thi tran|dac khu|truong)\s+"
    r"(?!(?:nay|do|minh|em|kia|khac|ben|e|mk|toi)\b)\w+(?:\s+\w+){0,4}?)"
    r"(?:\s+(?:chu|ma|khong phai|ko phai)\b.*|(?:\s+(?:a|ah|ak|nhe|nha|roi|r|ad|day))*)$"
)


def other_unit(text: str) -> str | None:
    """The unit a message says is the person's ("à nhầm, em ở xã Hòa An" → "xa hoa an"),
    unaccented, to search for; None when it names none."""
    words = _words(text)
    if len(words.split()) > 14:
        return None
    found = _MY_UNIT.search(words)
    return found.group("unit") if found else None


def ambiguous(text: str) -> bool:
    """A reply whose meaning is lost without its diacritics ("dung": "đúng" or "đừng"?)."""
    return meaningful(text) in _AMBIGUOUS and not intents(text)


_AMBIGUOUS = frozenset({"dung", "dung a"})


def is_answer_word(text: str) -> bool:
    """Whether ``text`` is one of the answer words ("không", "ok", "bỏ qua ạ") rather than,
    say, a name: unlike :func:`intents`, a leading "em"/"minh" is kept ("Minh Anh")."""
    words = _trim(_words(text), leading=False)
    return any(words in said for said in INTENTS.values())


# Words only a question or a request carries (unaccented); "hỏi" alone is not one of them:
# "Hội Liên hiệp Thanh niên" is "hoi" too.
_ASKING = (
    "cho em hoi",
    "cho minh hoi",
    "cho toi hoi",
    "cho chau hoi",
    "cho e hoi",
    "cho mk hoi",
    "cho mik hoi",
    "cho hoi",
    "xin hoi",
    "muon hoi",
    "em hoi",
    "the nao",
    "nhu nao",
    "lam sao",
    "bao gio",
    "bao nhieu",
    "tai sao",
    "vi sao",
    "o dau",
    "co duoc",
    "duoc khong",
    "kien nghi",
    "de nghi",
    "de xuat",
    "mong muon",
    "giai dap",
    "tra loi giup",
)
# How a question ends when it has no question mark ("… được không", "… chưa ạ").
_ASKING_ENDS = (" khong", " ko", " chua", " gi", " nao", " sao", " dau")


def question_like(text: str, *, strict: bool = False, long_words: int | None = 15) -> bool:
    """Whether ``text`` reads as a question typed ahead of its step rather than an
    answer to the step's prompt: at least five words and 25 letters. With ``strict``
    (where long answers are normal: unit names such as "Trường THPT Chuyên Cao Bằng"),
    it must also ask: a question mark, asking words ("cho em hỏi", "thế nào", "kiến
    nghị"), or ``long_words`` words and more (``None`` where a long answer is still an
    answer: a unit with its full address)."""
    words = _words(text)
    if len(words.split()) < 5 or len(words.replace(" ", "")) < 25:
        return False
    if not strict:
        return True
    padded = f" {words} "
    return (
        "?" in text
        or (long_words is not None and len(words.split()) >= long_words)
        or any(f" {phrase} " in padded for phrase in _ASKING)
        or _trim(words, leading=False).endswith(_ASKING_ENDS)
    )


# -- a name said in a sentence, a question announced before it is asked ---------------------

# "e", "mk", "mik": "em" and "mình" in teencode ("e muon hoi ve viec lam").
_SPEAKER = r"(?:em|mình|minh|tôi|toi|tớ|to|tui|con|cháu|chau|e|mk|mik)"
_IS = r"(?:là|la)"
_NAME_INTRO = re.compile(
    r"^\s*(?:(?:dạ|da|vâng|vang|chào\s+ad|chao\s+ad)[\s,]+)?"
    # "em cảm ơn, em tên là …": a thank-you first.
    rf"(?:(?:{_SPEAKER}\s+)?(?:cảm\s+ơn|cám\s+ơn|cam\s+on)(?:\s+(?:ad|ạ|a|nhiều|nhieu))*[\s,.!]+)?"
    rf"(?:{_SPEAKER}\s+(?:tên|ten)(?:\s+{_IS})?"
    rf"|(?:tên|ten)\s+(?:của\s+|cua\s+)?{_SPEAKER}(?:\s+{_IS})?"
    r"|(?:họ\s+(?:và\s+)?tên|ho\s+(?:va\s+)?ten|tên|ten)(?:\s+(?:đầy\s+đủ|day\s+du))?"
    rf"(?:\s+{_IS}|\s*:)"
    rf"|{_SPEAKER}\s+{_IS}"
    r"|my\s+name\s+is|my\s+name:|name:|i\s+am|i'm)"
    r"[\s:,-]+",
    re.IGNORECASE,
)
_NAME_TAIL = re.compile(r"(?:[\s,]+(?:ạ|nhé))+[\s.!]*$|[\s.!]+$", re.IGNORECASE)


def name_without_intro(text: str) -> str:
    """The name in "em tên là Nguyễn Văn An ạ", "Họ tên: Lò Thị Mai", "tên mình là Hoa"
    (the text itself when it has no such words around it)."""
    text = unicodedata.normalize("NFC", text)
    match = _NAME_INTRO.match(text)
    rest = text[match.end() :] if match else text
    rest = _NAME_TAIL.sub("", rest).strip()
    return rest if rest else text.strip()


# What people send before their question, as a message of its own ("cho em hỏi ạ").
_ASK = r"(?:hỏi|hoi|xin\s+hỏi|xin\s+hoi|kiến\s+nghị|kien\s+nghi|đề\s+xuất|de\s+xuat)"
# How a question is announced ("dạ em muốn hỏi", "cho em hỏi", "em có câu hỏi"): alone
# (:func:`lead_in_only`) or with its subject (:func:`announced_subject`).
_ANNOUNCE = (
    r"^\s*(?:(?:dạ|da|chào\s+ad|chao\s+ad|ad\s+ơi|ad\s+oi|admin\s+ơi|admin\s+oi"
    # "à không, em muốn hỏi về …", "thôi, em hỏi về …": a change of mind
    r"|à|a|ừm|um|không|khong|ko|thôi|thoi|nhầm|nham)[\s,]+){0,2}"
    rf"(?:(?:cho\s+)?{_SPEAKER}\s+(?:muốn\s+|muon\s+|xin\s+|được\s+|duoc\s+)?{_ASK}"
    rf"|cho\s+{_SPEAKER}\s+{_ASK}"
    rf"|{_SPEAKER}\s+có\s+(?:1\s+|một\s+|mot\s+)?(?:câu\s+hỏi|ý\s+kiến|kiến\s+nghị)"
    rf"|{_SPEAKER}\s+co\s+(?:1\s+|mot\s+)?(?:cau\s+hoi|y\s+kien|kien\s+nghi)"
    r"|i\s+(?:want|would\s+like)\s+to\s+ask|i\s+have\s+a\s+question)"
)
_LEAD_IN = re.compile(
    _ANNOUNCE + r"(?:\s+(?:chút|chut|xíu|xiu|tí|ti|với|voi|ạ|a|nhé|nhe|nha|ad|admin|ạ\s+ad))*"
    r"[\s.,:!?…]*$",
    re.IGNORECASE,
)


# "em muốn hỏi về việc làm", "cho em hỏi về vấn đề vay vốn ạ": what the question will be
# about, not yet the question (a few words, nothing asked).
_SUBJECT = re.compile(
    _ANNOUNCE + r"(?:\s+(?:chút|chut|xíu|xiu|tí|ti))?"
    r"\s+(?:về|ve|liên\s+quan\s+(?:đến|tới)|lien\s+quan\s+(?:den|toi)|about)\s+"
    r"(?:(?:vấn\s+đề|van\s+de|chuyện|chuyen|the)\s+)?"
    r"(?P<subject>[^?]+?)"
    r"(?:\s+(?:ạ|a|nhé|nhe|nha|với|voi|ad|admin))*[\s.,:!…]*$",
    re.IGNORECASE,
)
_SUBJECT_WORDS = 6


def announced_subject(text: str) -> str | None:
    """What a message that only announces a question is about ("em muốn hỏi về việc
    làm" → "việc làm"), or None: a few words, no question mark, nothing asked."""
    found = _SUBJECT.match(unicodedata.normalize("NFC", text))
    if found is None:
        return None
    subject = found.group("subject").strip()
    words = _words(subject)
    if not words or len(words.split()) > _SUBJECT_WORDS:
        return None
    if any(f" {phrase} " in f" {words} " for phrase in _ASKING) or f" {words}".endswith(
        _ASKING_ENDS
    ):
        return None  # "… về vay vốn có cần thế chấp không": asked already
    return subject


# "em không biết chọn nhóm nào", "chưa rõ ạ", "not sure": the person cannot choose.
_UNSURE = re.compile(
    r"\b(?:khong|ko|k|kh|chua|hong|hok|cha)\s+(?:biet|bik|bit|bjk|ro|chac|hieu)\b"
    r"|\b(?:don ?t know|dont know|not sure|no idea|unsure)\b"
)


def unsure(text: str) -> bool:
    """Whether a short reply says the person does not know what to choose."""
    words = plain(text.replace("'", " "))
    return len(words.split()) <= 10 and bool(_UNSURE.search(words))


def lead_in_only(text: str) -> bool:
    """Whether ``text`` only announces a question ("em muốn hỏi", "cho em hỏi chút ạ",
    "em có câu hỏi:"): the question itself is in the next message."""
    return bool(_LEAD_IN.match(unicodedata.normalize("NFC", text)))


# -- what a short message between questions asks for -----------------------------------------

_THANKS = re.compile(r"\b(?:cam on|camon|thank|thanks|thank you|tks|thx)\b")
# Teencode too: "bh", "bao h" (bao giờ), "tl" (trả lời), "kq" (kết quả), "rep".
_WHEN = re.compile(r"\b(?:bao gio|bao h|bh|khi nao|luc nao|bao lau|when)\b")
_ANSWER = re.compile(r"\b(?:tra loi|tl|rep|phan hoi|answer|answered|reply|ket qua|kq)\b")
_MINE = re.compile(r"\b(?:cau hoi|question|kien nghi)\b")
_EDIT = re.compile(r"\b(?:sua|chinh sua|sua lai|edit)\b")
_WITHDRAW = re.compile(r"\b(?:rut|rut lai|huy|xoa|bo|withdraw|cancel|delete)\b")
_STATUS = re.compile(
    r"\b(?:trang thai|tinh trang|status|dau roi|di dau roi|den dau roi|toi dau roi"
    r"|gui duoc chua|gui chua|da gui chua|nhan duoc chua|nhan chua|co nhan duoc)\b"
    r"|^(?:xem|kiem tra|ktra|kt|check)\b"
)
# "ad nhận được câu hỏi của em chưa", "câu hỏi em gửi tới chưa ạ", "where is my
# question": did mine arrive? (Only with "câu hỏi"/"question": "got it" is not one.)
_ARRIVED = re.compile(
    r"\b(?:nhan|gui|toi|den)\b.*\bchua\b"
    r"|\b(?:where is|where are|where s|wheres|did you get|did you receive|have you received"
    r"|received)\b"
    # "có ai đọc câu hỏi của em không", "ad đã xem câu hỏi của em chưa": was it read?
    r"|\b(?:co ai|ai|da|duoc)\s+(?:doc|xem)\b|\b(?:doc|xem)\s+(?:chua|khong|ko)\b"
    r"|\b(?:anyone|anybody|someone|you)\s+(?:read|seen|see)\b"
)
# "đã có trả lời chưa", "có câu trả lời chưa ad", "has my question been answered": is
# mine answered yet? (At the end: "… đã được trả lời chưa" in a long question to the
# chair is about someone else's answer. "ben": "been" with its letter written once.)
_ANSWERED_YET = re.compile(
    r"\b(?:tra loi|tl|rep|phan hoi|ket qua|kq)(?: \w+)? chua$"
    r"|\b(?:ben answered|answered yet|answers? yet|repl(?:y|ies|ied) yet)$"
)
# The dialogue itself: when and where it is, until when questions are taken.
_DIALOGUE = re.compile(r"\b(?:doi thoai|dialogue)\b")
_HAPPENS = re.compile(r"\b(?:to chuc|dien ra|hop|gap chu tich)\b")
_WHERE = re.compile(r"\b(?:o dau|tai dau|cho nao|dia diem|where)\b")
# "còn gửi được không", "gửi đến bao giờ": whether questions are still taken.
_STILL_TAKEN = re.compile(
    r"\b(?:con gui duoc|con hoi duoc|gui den bao gio|gui den khi nao|hoi den bao gio"
    r"|hoi den khi nao)\b"
)
# A deadline word: about the questions only next to "câu hỏi", "đối thoại" or alone
# ("hạn nộp học phí khi nào?" is a question to the chair).
_DEADLINE = re.compile(r"\b(?:han chot|han gui|han nop|het han|con han|deadline)\b")
_MORE = re.compile(
    r"\b(?:hoi them|hoi tiep|gui them|cau hoi moi|gui cau hoi|another question"
    r"|cau nua|co cau khac|con cau khac|cau khac nua)\b"  # "còn câu nữa", "e có câu khác"
)
# "câu hỏi của tôi đâu", "cau hoi cua e o dau": where is mine? ("gửi ở đâu" asks where
# to send one.)
_WHERE_MINE = re.compile(r"\b(?:o )?dau(?: (?:roi|het roi|vay|the|nhi))?$")
# "câu hỏi em sao rồi", "câu hỏi của em thế nào rồi", "câu hỏi của mình ra sao": how is
# mine doing? ("rồi" needed unless it is "của em": "câu hỏi về học phí thế nào" asks.)
_HOW_MINE = re.compile(r"\b(?:sao|the nao|ra sao)(?P<now> roi| r)?$")
_SEE_AGAIN = re.compile(r"\bxem lai\b")
_WHERE_TO = re.compile(r"\b(?:gui|nop|hoi) o dau\b")
# "xoá tk", "xóa dữ liệu của em": /xoa (which asks before deleting anything).
_DELETE_DATA = re.compile(r"\b(?:xoa|huy)\s+(?:tai khoan|tk|du lieu|thong tin ca nhan|data)\b")
# "của em", "của mình", "cua e", "cua mk": the person's own.
_OWN = re.compile(r"\b(?:cua (?:em|minh|toi|to|e|mk|mik)|my)\b")
_HELP = re.compile(r"\b(?:huong dan|tro giup|help|lam sao|lam the nao|how)\b")


_THANKS_AROUND = frozenset(
    {"a", "ad", "admin", "ah", "ak", "anh", "ban", "bot", "cac", "chi", "da", "em", "lam"}
    | {"minh", "nha", "nhe", "nhieu", "nhiu", "rat", "roi", "so", "much", "very", "you"}
    | {"vs", "voi", "thiet", "thi"}
)


def only_thanks(text: str) -> bool:
    """Whether ``text`` says thank you and nothing else ("cảm ơn ad nhiều ạ"), unlike
    "em cảm ơn, em tên là Lan" or "cảm ơn, xã Đàm Thủy", which answer a step too."""
    words = _THANKS.sub(" ", _words(text))
    return bool(_THANKS.search(_words(text))) and set(words.split()) <= _THANKS_AROUND


def names_a_question(text: str) -> bool:
    """Whether ``text`` speaks of a question ("câu hỏi", "kiến nghị", "question"): a
    request about one's questions, not a topic's words ("sửa đường")."""
    return bool(_MINE.search(_trim(_words(text))))


def asks_if_answered(text: str) -> bool:
    """Whether ``text`` asks if the person's question has an answer yet ("đã có trả lời
    chưa?", "câu hỏi của em có trả lời chưa", "any answer yet?"): a few words, or about
    their own question."""
    words = _trim(_words(text))
    tokens = words.split()
    own = bool(_MINE.search(words)) and bool(_OWN.search(_words(text)))
    return bool(_ANSWERED_YET.search(words)) and (len(tokens) <= 6 or (own and len(tokens) <= 15))


def idle_request(text: str) -> str | None:
    """What a short message typed between questions asks for, in words rather than a
    command: ``"thanks"``, ``"when"`` (when answers come), ``"dates"`` (when and where
    the dialogue is, until when questions are taken), or the command it means
    (``"sua"`` "em muốn sửa câu hỏi", ``"rut"`` "hủy câu hỏi", ``"cauhoi"`` "xem trạng
    thái", ``"hoi"`` "hỏi thêm", ``"trogiup"`` "hướng dẫn"); None for anything else
    (a question to the chair is never one of these: they are short, or about "my
    question")."""
    plain = _words(text)
    words = _trim(plain)
    tokens = words.split()
    if not tokens or len(tokens) > 15:
        return None
    short = len(tokens) <= 8
    mine = bool(_MINE.search(words))
    own = mine and bool(_OWN.search(plain))
    if len(tokens) <= 6 and _THANKS.search(words):
        return "thanks"
    if _WHEN.search(words) and _ANSWER.search(words) and (short or own):
        return "when"
    asks_when = bool(_WHEN.search(words) or _WHERE.search(words))
    if short and asks_when and _DIALOGUE.search(words):
        return "dates"  # "khi nào đối thoại ạ", "đối thoại ở đâu"
    if len(tokens) <= 4 and asks_when and _HAPPENS.search(words):
        return "dates"  # "ở đâu tổ chức", "bao giờ họp" (longer: a question to the chair)
    if short and _STILL_TAKEN.search(plain):  # "còn" here is no speaker: not trimmed
        return "dates"  # "còn gửi được không ad"
    about_ours = mine or bool(_DIALOGUE.search(words)) or len(tokens) <= 3
    if short and _DEADLINE.search(plain) and about_ours:
        return "dates"  # "hạn chót gửi câu hỏi là khi nào", "hết hạn chưa"
    if _EDIT.search(words) and ((mine and (short or own)) or len(tokens) <= 3):
        return "sua"
    if _WITHDRAW.search(words) and mine and (short or own):
        return "rut"
    if _STATUS.search(words) and (mine or len(tokens) <= 3):
        return "cauhoi"
    if mine and (short or own) and _ARRIVED.search(words) and not _ANSWER.search(words):
        return "cauhoi"
    if asks_if_answered(text):
        return "cauhoi"
    if mine and (short or own) and _WHERE_MINE.search(words) and not _WHERE_TO.search(words):
        return "cauhoi"
    if mine and short and (how := _HOW_MINE.search(words)) and (own or how.group("now")):
        return "cauhoi"
    if mine and short and _SEE_AGAIN.search(words):
        return "cauhoi"  # "em muốn xem lại câu hỏi"
    if short and _MORE.search(words):
        return "hoi"
    if words in ("rut", "rut lai", "withdraw"):  # "rút" alone, as "sửa" alone is /sua
        return "rut"
    if short and _DELETE_DATA.search(words):
        return "xoa"
    if len(tokens) <= 5 and _HELP.search(words):
        return "trogiup"
    return None


# A language asked for in words ("english please", "can you speak english", "nói tiếng
# Việt đi"): the whole message, not a question that names a language ("tiếng anh lớp 10
# có khó không") nor a name ("Anh").
_LANGUAGE_NAMES = {
    "en": ("english", "tieng anh", "in english", "bang tieng anh"),
    "vi": ("vietnamese", "tieng viet", "in vietnamese", "bang tieng viet"),
}
_LANGUAGE_WISHES: dict[str, str] = {
    _REPEATS.sub(r"\1", f"{wish}{before}{name}{after}"): code
    for code, names in _LANGUAGE_NAMES.items()
    for name in names
    for wish in ("", "muon ", "cho em ", "cho minh ", "xin ", "i want to ", "i would like to ")
    for before in (
        "",
        "noi ",
        "dung ",
        "chuyen sang ",
        "doi sang ",
        "chuyen qua ",
        "doi qua ",
        "speak ",
        "can you speak ",
        "do you speak ",
        "can we speak ",
        "i speak ",
        "switch to ",
        "change to ",
    )
    for after in ("", " please", " pls", " duoc khong", " dc khong", " duoc ko", " dc ko")
}


# A language asked for in a sentence: "can I ask a question in English?", "I don't speak
# Vietnamese", "cho em hỏi bằng tiếng Anh được không" (a verb of talking before the
# language: "trường có dạy bằng tiếng Anh không" is a question to the chair).
_TALK = r"(?:ask|talk|speak|write|chat|reply|answer|continue|text|type|say|it)"
_NOT_ABLE = r"(?:dont|don t|do not|cant|can t|cannot|khong|ko|k|hok|hong|chua)"
_SAY_VI = r"(?:hoi|noi|viet|go|nhan|tra loi|chat|rep|noi chuyen)"
_LANGUAGE_SENTENCES = {
    code: re.compile(
        rf"\b{_TALK}\b(?: \w+){{0,3}} in {name}\b|\bin {name} (?:please|pls|plz)\b"
        rf"|\b{_SAY_VI}\b(?: \w+){{0,2}} bang tieng {viet}\b"
        rf"|\b{_NOT_ABLE} (?:speak|understand|read|know|biet|hieu|doc)\b(?: \w+)? {other}\b"
    )
    for code, name, viet, other in (
        ("en", "english", "anh", "(?:vietnamese|tieng viet)"),
        ("vi", "vietnamese", "viet", "(?:english|tieng anh)"),
    )
}


def language_wish(text: str, *, sentences: bool = True) -> str | None:
    """The language a short message asks for ("english please" → ``"en"``, "nói tiếng
    Việt đi" → ``"vi"``, "can I ask in English?"), or None. ``sentences=False``: only
    the wish alone, where a sentence may be the question itself (its step, its edit)."""
    words = _words(text.replace("'", " "))
    count = len(words.split())
    if count <= 8 and (code := _LANGUAGE_WISHES.get(_trim(words))) is not None:
        return code
    if count > 12 or not sentences:
        return None
    return next((c for c, said in _LANGUAGE_SENTENCES.items() if said.search(words)), None)


def declines_name(text: str) -> bool:
    """Whether a reply to "what is your name?" declines to give it in words of its own
    ("em không muốn nói tên đâu", "ko để tên được không")."""
    words = _words(text).split()
    return (
        len(words) <= 12
        and "ten" in words
        and bool({"khong", "ko", "k", "chang", "dung"} & set(words))
    )
