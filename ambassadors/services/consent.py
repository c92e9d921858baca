"""Consent you can defend: the text a resident was shown, its hash, versions, the proof export.

An accepted `ConsentText` never changes (`ConsentText.save` refuses); a new wording is a new
version (`consent_text_new_version`). Each `ConsentRecord` keeps a copy of the exact text shown
and the SHA-256 of its UTF-8 bytes, so an auditor can check a proof years later without trusting
the database: `sha256(proof["text"].encode("utf-8")).hexdigest() == proof["sha256"]`.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ambassadors.models import ConsentRecord, ConsentText
from ambassadors.services.audit import field_verbose_name


class ConsentProofNotFound(Exception):
    """No consent record carries this testimonial reference."""


@dataclass(frozen=True)
class ShownConsent:
    """The consent text as the consent page renders it, in one language."""

    language: str
    title: str
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        """What the proof stores and hashes: the title, a blank line, one paragraph a line."""
        return consent_text_render(title=self.title, paragraphs=self.paragraphs)

    @property
    def sha256(self) -> str:
        return consent_text_sha256(self.text)


def consent_text_render(*, title: str, paragraphs: tuple[str, ...] | list[str]) -> str:
    return title + "\n\n" + "\n".join(paragraphs)


def consent_text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def consent_language(language: str) -> str:
    return "en" if (language or "fr").startswith("en") else "fr"


def consent_text_shown(*, consent_text: ConsentText, language: str) -> ShownConsent:
    """The title and paragraphs of `consent_text` the consent page shows in `language`.

    English falls back to the French body when no translation was written, and to a generic
    title (the page's own) when no English title was.
    """
    language = consent_language(language)
    if language == "en":
        body = consent_text.body_en or consent_text.body
        with translation.override("en"):
            title = consent_text.title_en or gettext("Autorisation de diffusion de votre vidéo")
    else:
        body, title = consent_text.body, consent_text.title
    paragraphs = tuple(line for line in body.splitlines() if line.strip())
    return ShownConsent(language=language, title=title, paragraphs=paragraphs)


# --- Versions -----------------------------------------------------------------------------------


def _next_version(version: str) -> str:
    """ "2026.1" -> "2026.2" (or the next free one); anything else gets "-2", "-3"..."""
    match = re.fullmatch(r"(.*?)(\d+)", version)
    stem, number = (match.group(1), int(match.group(2))) if match else (f"{version}-", 1)
    taken = set(ConsentText.objects.values_list("version", flat=True))
    while True:
        number += 1
        candidate = f"{stem}{number}"[:20]
        if candidate not in taken:
            return candidate


def consent_text_new_version(*, source_id: int, version: str = "") -> ConsentText:
    """Copy a consent version into a new one, not yet in force and not yet accepted."""
    with transaction.atomic():
        source = ConsentText.objects.get(pk=source_id)
        return ConsentText.objects.create(
            version=version or _next_version(source.version),
            title=source.title,
            title_en=source.title_en,
            body=source.body,
            body_en=source.body_en,
            channels=source.channels,
            duration_months=source.duration_months,
            is_current=False,
        )


# --- How the admin and the proof read the choices -------------------------------------------------

AGE_GROUPS = {
    "adult": _("18 ans ou plus"),
    "15-17": _("15-17 ans"),
    "under-15": _("moins de 15 ans"),
}
LANGUAGES = {"fr": _("français"), "en": _("anglais")}
CHOICE_LABELS = {
    "release": _("Autorisation de diffusion"),
    "age_group": _("Tranche d'âge"),
    "duration_months": _("Durée"),
    "channels": _("Canaux"),
    "language": _("Langue"),
    "parental_consent": _("Accord parental déclaré"),
}


def _choice_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return gettext("oui") if value else gettext("non")
    if value in (None, ""):
        return "—"
    if key == "age_group":
        return str(AGE_GROUPS.get(value, value))
    if key == "duration_months":
        return gettext("%(months)s mois") % {"months": value}
    if key == "language":
        return str(LANGUAGES.get(value, value))
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def consent_choices_labelled(choices: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of each recorded choice, known ones first in a fixed order, in the active
    language: ("Tranche d'âge", "15-17 ans"), ("Durée", "36 mois")..."""
    known = [key for key in CHOICE_LABELS if key in choices]
    others = [key for key in choices if key not in CHOICE_LABELS]
    return [
        (str(CHOICE_LABELS.get(key, key.replace("_", " "))), _choice_value(key, choices[key]))
        for key in known + others
    ]


# --- The proof ----------------------------------------------------------------------------------


def consent_record_for(*, testimonial_ref: UUID | str) -> ConsentRecord:
    record = (
        ConsentRecord.objects.filter(testimonial_ref=testimonial_ref)
        .order_by("-accepted_at", "-pk")
        .first()
    )
    if record is None:
        raise ConsentProofNotFound(str(testimonial_ref))
    return record


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def consent_proof_export(*, testimonial_ref: UUID | str) -> dict[str, Any]:
    """One testimonial's proof of consent as a JSON-able dict.

    The parent's fields (`parent_*`, e.g. a confirmation time) are exported as the record
    holds them; after anonymisation only the version, date, choices, text and hash are left.
    """
    record = consent_record_for(testimonial_ref=testimonial_ref)
    proof: dict[str, Any] = {
        "testimonial_ref": str(record.testimonial_ref),
        "version": record.text_version,
        "accepted_at": record.accepted_at.isoformat(),
        "language": record.text_language,
        "text": record.text_shown,
        "sha256": record.text_sha256,
        "choices": record.choices,
        "is_minor": record.is_minor,
    }
    for field in ConsentRecord._meta.concrete_fields:
        if field.name.startswith("parent_"):
            proof[field.name] = _json_value(getattr(record, field.attname))
    proof["anonymised_at"] = _json_value(record.anonymised_at)
    return proof


PROOF_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
)


def _pdf_fonts() -> tuple[str, str]:
    """A Unicode font if the system has one (any character of any text), else the PDF base 14."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if not all(path.exists() for path in PROOF_FONTS):
        return "Helvetica", "Courier"
    for name, path in zip(("ProofSans", "ProofMono"), PROOF_FONTS, strict=True):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))
    return "ProofSans", "ProofMono"


def consent_proof_pdf(*, testimonial_ref: UUID | str) -> bytes:
    """The same proof as `consent_proof_export`, as a PDF an auditor can read (in French)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    proof = consent_proof_export(testimonial_ref=testimonial_ref)
    sans, mono = _pdf_fonts()
    body = ParagraphStyle("body", fontName=sans, fontSize=9.5, leading=13)
    heading = ParagraphStyle("heading", parent=body, fontSize=15, leading=19, spaceAfter=6)
    subheading = ParagraphStyle("subheading", parent=body, fontSize=11.5, leading=15)
    code = ParagraphStyle("code", parent=body, fontName=mono, fontSize=8.5)
    hash_style = ParagraphStyle("hash", parent=code, fontSize=7.5)

    def cell(value: Any, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(str(value)), style)

    with translation.override("fr"), timezone.override(settings.TIME_ZONE):
        accepted = datetime.datetime.fromisoformat(proof["accepted_at"])
        facts = [
            (gettext("Référence du témoignage"), cell(proof["testimonial_ref"], code)),
            (gettext("Version du texte"), cell(proof["version"])),
            (
                gettext("Accepté le"),
                cell(
                    f"{timezone.localtime(accepted):%d/%m/%Y %H:%M:%S %Z} ({proof['accepted_at']})"
                ),
            ),
            (gettext("Langue du texte"), cell(LANGUAGES.get(proof["language"], "—"))),
            (gettext("Empreinte SHA-256 du texte"), cell(proof["sha256"] or "—", hash_style)),
            (
                gettext("Mineur (15-17 ans)"),
                cell(gettext("oui") if proof["is_minor"] else gettext("non")),
            ),
        ]
        facts += [
            (label, cell(value)) for label, value in consent_choices_labelled(proof["choices"])
        ]
        facts += [
            (
                str(capfirst(field_verbose_name(ConsentRecord, name))),
                cell(_choice_value(name, value) if value else "—"),
            )
            for name, value in proof.items()
            if name.startswith("parent_")
        ]
        if proof["anonymised_at"]:
            facts.append((gettext("Anonymisé le"), cell(proof["anonymised_at"])))
        table = Table(
            [(cell(label), value) for label, value in facts], colWidths=(55 * mm, 115 * mm)
        )
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ]
            )
        )
        story = [
            cell(gettext("Preuve de consentement — One Provence, Tous Ambassadeurs"), heading),
            table,
            Spacer(1, 6 * mm),
            cell(gettext("Texte présenté au résident (tel qu'affiché)"), subheading),
            Spacer(1, 2 * mm),
            *[cell(line) for line in proof["text"].split("\n") if line.strip()],
            Spacer(1, 6 * mm),
            cell(
                gettext(
                    "Vérification : l'empreinte SHA-256 ci-dessus est celle du texte encodé en "
                    "UTF-8 (le titre, une ligne vide, puis un paragraphe par ligne). L'export "
                    "JSON de la même preuve donne ce texte à l'octet près."
                ),
                ParagraphStyle("note", parent=body, fontSize=8, textColor=colors.grey),
            ),
        ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Preuve de consentement {proof['testimonial_ref']}",
        author="One Provence",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    ).build(story)
    return buffer.getvalue()
