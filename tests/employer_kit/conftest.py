"""Fixtures of the employer kit tests: content, recruiters with a session, testimonials."""

import io
import struct
import zlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from tests.ambassadors.moderation_support import public_bucket_readable
from tests.factories import KitAssetFactory, RecruiterFactory, TestimonialFactory, png_bytes

__all__ = ["bomb_png", "log_in", "pdf_bytes", "png_bytes", "public_bucket_readable"]


def bomb_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A tiny PNG whose header claims billions of pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    # A few rows of zeros compressed: the rest would expand to 3.6 GB once decoded.
    data = zlib.compress(b"\x00" * (width + 1) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def pdf_bytes(title: str = "Brochure") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("Helvetica-Bold", 28)
    page.drawString(60, 760, title)
    page.showPage()
    page.drawString(60, 760, "page 2")
    page.showPage()
    page.save()
    return buffer.getvalue()


@pytest.fixture
def client():
    """A test client whose POSTs say they come from the site, as a browser's do."""
    from django.test import Client

    return Client(headers={"Origin": "http://testserver"})


@pytest.fixture
def kit_content(db):
    """Sectors, sourced key figures and talking points (created if a flush removed the seed)."""
    from campaigns.models import KeyFigure, Sector
    from employer_kit.models import TalkingPoint

    aero, _ = Sector.objects.get_or_create(
        slug="aeronautique",
        defaults={
            "name": "Aéronautique",
            "name_en": "Aeronautics",
            "description": "Hélicoptères, satellites, drones.",
            "order": 1,
        },
    )
    energy, _ = Sector.objects.get_or_create(
        slug="energie", defaults={"name": "Énergie", "name_en": "Energy", "order": 2}
    )
    happiness, _ = KeyFigure.objects.get_or_create(
        label="Indice de bonheur des habitants",
        defaults={
            "value": Decimal("7.8"),
            "unit": "/10",
            "label_en": "Residents' happiness index",
            "comparison_value": Decimal("7.4"),
            "comparison_label": "moyenne nationale",
            "source_name": "ImageTerr 2024 — IMPGT, Aix-Marseille Université",
            "year": 2024,
            "order": 1,
        },
    )
    recommend, _ = KeyFigure.objects.get_or_create(
        label="des habitants recommandent la Métropole",
        defaults={
            "value": Decimal("83"),
            "unit": "%",
            "comparison_value": Decimal("70"),
            "comparison_label": "dans les autres grandes villes françaises",
            "source_name": "ImageTerr 2024 — IMPGT, Aix-Marseille Université",
            "year": 2024,
            "order": 2,
        },
    )
    talent, _ = KeyFigure.objects.get_or_create(
        label="d'attraction de talents en plus pour +0,1 point d'image territoriale (sur 5)",
        defaults={
            "value": Decimal("24"),
            "unit": "%",
            "source_name": "Bloom Consulting",
            "order": 4,
        },
    )
    point, created = TalkingPoint.objects.get_or_create(
        headline="Concevoir les hélicoptères de demain",
        defaults={
            "body": "De Marignane à Cannes, la filière aéronautique recrute des ingénieurs.",
            "sector": aero,
            "audience": "engineers",
            "language": "fr",
            "version": 2,
            "reviewed_on": timezone.localdate(),
        },
    )
    if created:
        point.key_figures.set([happiness])
    general, created = TalkingPoint.objects.get_or_create(
        headline="On est plus heureux ici",
        defaults={"body": "7,8/10 de bonheur contre 7,4 en moyenne nationale.", "language": "fr"},
    )
    if created:
        general.key_figures.set([happiness, recommend])
    return {
        "aero": aero,
        "energy": energy,
        "figures": [happiness, recommend, talent],
        "points": [point, general],
    }


@pytest.fixture
def make_recruiter(db):
    def make(email: str = "rh@airbus-test.fr", company: str = "Airbus Helicopters", confirmed=True):
        return RecruiterFactory(
            email=email, company=company, confirmed_at=timezone.now() if confirmed else None
        )

    return make


def log_in(client, recruiter) -> None:
    """Give a test client the session a confirmed magic link opens."""
    from employer_kit.services import SESSION_KEY

    session = client.session
    session[SESSION_KEY] = str(recruiter.pk)
    session.save()
    client.cookies["sessionid"] = session.session_key


@pytest.fixture
def make_asset(db):
    from employer_kit.models import KitAsset

    def make(
        title="Logo",
        kind=KitAsset.Kind.LOGO,
        content: bytes | None = None,
        name="logo.png",
        **fields,
    ):
        content = content if content is not None else png_bytes()
        return KitAssetFactory(title=title, kind=kind, content=content, filename=name, **fields)

    return make


@pytest.fixture
def published_testimonial(db, kit_content):
    """A published testimonial with its consent record and its web rendition in the store."""
    from ambassadors import keys
    from ambassadors.models import ConsentText, Status
    from onprovence.storage import private_storage, public_storage

    consent_text, _ = ConsentText.objects.get_or_create(
        version="2026.1",
        defaults={"title": "Droit à l'image", "body": "…", "is_current": True},
    )
    testimonial = TestimonialFactory(
        status=Status.PUBLISHED,
        published_at=timezone.now(),
        sector=kit_content["aero"],
        display_name="Léa, ingénieure",
        quote="Je travaille sur les hélicoptères et je vais à la plage le soir.",
        first_name="Léa",
        last_name="",
        email="lea@example.org",
        commune="",
        job_title="",
        duration=42.0,
        consent__consent_text=consent_text,
        consent__accepted_at=timezone.now() - timedelta(days=10),
        consent__choices={"employer_kit": True},
    )
    video = b"\x00\x00\x00\x18ftypmp42" + b"fake-video" * 100
    for storage in (private_storage(), public_storage()):
        storage.save(keys.testimonial_key(testimonial.pk, keys.WEB), ContentFile(video))
    return testimonial
