"""The Markdown files of a kit archive show staff and residents' text as typed, never as markup.

Reproduction (issue 13, low): README.md and talking-points.md carried titles, credits and talking
points as raw Markdown/HTML: a credit of `[Cliquez ici](https://evil.example)` became a link in
any Markdown viewer, `<script>` stayed HTML, and a title with a line break and `# ` started a
heading of its own.
"""

import re
from datetime import date

from employer_kit.documents.readme import ArchiveEntry, archive_readme
from employer_kit.documents.talking_points import Point, talking_points_markdown
from onprovence.text import markdown_escape

HOSTILE = "Logo\n# Faux titre\n[Cliquez ici](https://evil.example/x) <script>alert(1)</script>"


def unescaped(pattern: str, markdown: str) -> bool:
    """True when `pattern` occurs with its first character not backslash-escaped."""
    return re.search(r"(?<!\\)" + re.escape(pattern), markdown) is not None


def assert_inert(markdown: str) -> None:
    for syntax in ["<script", "](", "[Cliquez", "://", "evil.example", "<img"]:
        assert not unescaped(syntax, markdown), syntax
    assert not re.search(r"^#+ Faux titre", markdown, re.MULTILINE)


def test_the_readme_escapes_titles_credits_and_rights():
    entry = ArchiveEntry(
        path="logo/tous-secteurs/logo_`x`.png",
        title=HOSTILE,
        kind="logo",
        credits="Photo : *Jean* _Dupont_ / www.evil.example",
        usage_rights="- Libre\n> citation & <b>gras</b>",
        available_until=None,
        version=1,
    )

    readme = archive_readme([entry], language="fr", day=date(2026, 12, 6))

    assert_inert(readme)
    assert "www.evil.example" not in readme and "*Jean*" not in readme
    assert "<b>" not in readme
    assert "### `logo/tous-secteurs/logo_'x'.png`" in readme
    assert r"- Crédits : Photo : \*Jean\* \_Dupont\_ / www\.evil\.example" in readme
    assert r"- Droits d'usage : \- Libre \> citation \& \<b\>gras\</b\>" in readme


def test_talking_points_escape_the_staff_s_text_and_keep_its_paragraphs():
    point = Point(
        headline=HOSTILE,
        body="Premier paragraphe <img src=x onerror=alert(1)>.\n\n1. Deuxième https://evil.example",
        sources=["[Source](https://evil.example)"],
        audience="Cadres",
        sector="Aéronautique",
    )

    markdown = talking_points_markdown([point], language="fr")

    assert_inert(markdown)
    assert r"Premier paragraphe \<img src=x onerror=alert(1)\>." in markdown
    assert "\n\n1\\. Deuxième https\\://evil\\.example" in markdown


def test_ordinary_text_reads_as_typed():
    for text in ["Photo : Jean Dupont / One Provence", "ImageTerr 2024 — IMPGT, AMU, 2024"]:
        assert markdown_escape(text) == text
