"""Rendering documents the way an official's word processor does: LibreOffice converts the
DOCX/XLSX to PDF, poppler reads the PDF back (pages, fonts, every word with its box).

Tests using this skip, with the reason, where LibreOffice or poppler is not installed
(`.ci/run` installs them from Debian's packages).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest

CM = 72 / 2.54  # PDF points per centimetre
TOOLS = ("soffice", "pdftotext", "pdfinfo", "pdffonts", "pdftoppm")


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not installed: apt-get install libreoffice-writer-nogui "
            "libreoffice-calc-nogui fonts-liberation2 fonts-crosextra-carlito poppler-utils "
            "(.ci/run does)"
        )


def to_pdf(paths: list[Path], out_dir: Path, profile: Path) -> list[Path]:
    """Convert with a private LibreOffice profile (parallel runs do not share one)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            *map(str, paths),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdfs = [out_dir / f"{p.stem}.pdf" for p in paths]
    for pdf in pdfs:
        assert pdf.exists(), f"LibreOffice wrote no {pdf.name}"
    return pdfs


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE)
    assert found, info.stdout
    return int(found.group(1))


def fonts(pdf: Path) -> set[str]:
    """Embedded font names without their subset prefix ("LiberationSerif-Bold")."""
    out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True)
    names = set()
    for line in out.stdout.splitlines()[2:]:
        name = line.split()[0]
        names.add(name.split("+", 1)[-1])
    return names


def text(pdf: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    )
    return out.stdout


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


@dataclass(frozen=True)
class Page:
    number: int
    width: float
    height: float
    words: tuple[Word, ...]


def pages(pdf: Path) -> list[Page]:
    """Every word with its box (points from the page's top left), page by page."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    )
    root = ElementTree.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", out.stdout))
    found = []
    for number, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        words = tuple(
            Word(
                number,
                w.text or "",
                float(w.get("xMin", 0)),
                float(w.get("yMin", 0)),
                float(w.get("xMax", 0)),
                float(w.get("yMax", 0)),
            )
            for w in page.iter("{http://www.w3.org/1999/xhtml}word")
        )
        found.append(Page(number, float(page.get("width", 0)), float(page.get("height", 0)), words))
    return found


def outside_margins(
    page: Page, *, left_cm: float, right_cm: float, top_cm: float, bottom_cm: float
) -> list[Word]:
    """Words that reach into a margin (beyond the text area), with 1 pt of tolerance."""
    tolerance = 1.0
    x_low, x_high = left_cm * CM - tolerance, page.width - right_cm * CM + tolerance
    y_low, y_high = top_cm * CM - tolerance, page.height - bottom_cm * CM + tolerance
    return [
        w
        for w in page.words
        if w.x_min < x_low or w.x_max > x_high or w.y_min < y_low or w.y_max > y_high
    ]


def png_page(pdf: Path, target: Path, *, page: int = 1, dpi: int = 80) -> Path:
    """One page of ``pdf`` as a PNG (pdftoppm)."""
    stem = target.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
        capture_output=True,
    )
    return stem.with_suffix(".png")
