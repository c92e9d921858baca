"""Checks and escapes for text people type that we put into emails and generated files.

A name typed in a form ends up in emails (a parent's notice), PDFs and Markdown files; it must
stay a name: one line, no web address a mail client would turn into a link, no markup.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Line and paragraph separators, and every control character (\n, \r, \t, NEL...).
_LINE_BREAKING = {"Cc", "Zl", "Zp"}
# What a mail client turns into a link: a scheme, "www.", an address, a domain ("evil.example").
_LINKISH = re.compile(r"[a-z][a-z0-9+.-]*:/|www\.|@|[a-z0-9-]\.[a-z]{2,}\b", re.IGNORECASE)


def single_line(value: str) -> str:
    """Refuse a value with a line break or a control character."""
    if any(unicodedata.category(char) in _LINE_BREAKING for char in value):
        raise ValidationError(_("Écrivez ce nom sur une seule ligne."), code="multiline")
    return value


def without_links(value: str) -> str:
    """Refuse a value a mail client would show as a link (compatibility forms folded first)."""
    if _LINKISH.search(unicodedata.normalize("NFKC", value)):
        raise ValidationError(_("Écrivez ce nom sans adresse web ni adresse e-mail."), code="link")
    return value


# Characters that open Markdown syntax anywhere in a line (emphasis, code, links, images, HTML,
# entities, headings' closing sequence, GFM tables and strikethrough).
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>&#|~])")
# What GFM's autolinker reads as an address: "scheme:/" and a dot inside a domain.
_MARKDOWN_AUTOLINK = re.compile(r"(?<=[a-z0-9-])([.:])(?=[a-z/])", re.IGNORECASE)
# Line-start syntax: list items, block quotes, setext underlines, ordered lists.
_MARKDOWN_BLOCK_START = re.compile(r"^([-+=>]|\d+(?=[.)]))")


def markdown_escape(value: str) -> str:
    """`value` as literal text within one Markdown line: no heading, list, link, image or HTML.

    Line breaks become spaces (a value never starts a block of its own); the characters that
    Markdown, HTML or GFM's autolinker give a meaning are backslash-escaped, which CommonMark
    renders as the character itself. Ordinary punctuation is left alone, for people who read
    the file as plain text.
    """
    text = _MARKDOWN_INLINE.sub(r"\\\1", " ".join(value.split()))
    text = _MARKDOWN_AUTOLINK.sub(r"\\\1", text)
    match = _MARKDOWN_BLOCK_START.match(text)
    if match and match.group(1).isdigit():
        end = match.end()
        return f"{text[:end]}\\{text[end:]}"
    return f"\\{text}" if match else text


def markdown_escape_paragraphs(value: str) -> str:
    """markdown_escape for a body of text: its paragraphs (blank-line separated) are kept."""
    paragraphs = re.split(r"\n\s*\n", value.strip())
    return "\n\n".join(markdown_escape(paragraph) for paragraph in paragraphs if paragraph)


def markdown_code(value: str) -> str:
    """`value` as an inline code span (a file path): shown verbatim, never interpreted."""
    return "`" + " ".join(value.replace("`", "'").split()) + "`"
