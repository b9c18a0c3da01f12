"""Documents an official sends as they are: what they would otherwise correct by hand
before sending (a line left alone at a page foot, ...). Each DOCX/XLSX is read back with
python-docx/openpyxl."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.text.paragraph import Paragraph

from bot.documents.docx import write_docx
from locales import Translator
from tests.test_digest_docs import make_digest


def _keeps_with_next(paragraph: Paragraph) -> bool:
    """keep_with_next as Word resolves it: the paragraph's own setting, else its styles'."""
    if paragraph.paragraph_format.keep_with_next is not None:
        return bool(paragraph.paragraph_format.keep_with_next)
    style = paragraph.style
    while style is not None:
        value = style.paragraph_format.keep_with_next
        if value is not None:
            return bool(value)
        style = style.base_style
    return False


def test_summary_members_lead_in_is_kept_with_its_list(tmp_path: Path) -> None:
    # 'Các câu hỏi khác cùng vấn đề:' ended pages alone in a 600-question summary (pages 1,
    # 2, 7, 8, 39, 48, 52, 65 of 80 in LibreOffice), its list starting the next page.
    path = write_docx(make_digest(), tmp_path / "tong-hop.docx", tr=Translator("vi"))
    document = docx.Document(str(path))
    lead_ins = [p for p in document.paragraphs if p.text == "Các câu hỏi khác cùng vấn đề:"]
    assert lead_ins
    for paragraph in lead_ins:
        assert _keeps_with_next(paragraph)
        following = paragraph._p.getnext()
        assert following is not None and "- " in Paragraph(following, paragraph._parent).text
