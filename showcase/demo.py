"""Demo data for a first run: a live campaign, ten placements, a few kit assets, an admin."""

import io
import secrets
from datetime import date

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from campaigns.models import Campaign, Placement, Sector
from employer_kit.models import KitAsset
from employer_kit.services import kit_asset_save

PLACEMENTS = [
    (Placement.Channel.STATION, "Gare Saint-Charles, hall 1", 420_000),
    (Placement.Channel.STATION, "Gare Saint-Charles, quai A", 310_000),
    (Placement.Channel.STATION, "Gare d'Aix-en-Provence TGV", 260_000),
    (Placement.Channel.STATION, "Paris Gare de Lyon, hall 2", 520_000),
    (Placement.Channel.STATION, "Lyon Part-Dieu", 300_000),
    (Placement.Channel.AIRPORT, "Aéroport Marseille Provence, terminal 1", 180_000),
    (Placement.Channel.AIRPORT, "Paris-Orly, terminal 3", 120_000),
    (Placement.Channel.SOCIAL, "LinkedIn One Provence", 60_000),
    (Placement.Channel.PRESS, "Les Échos, supplément régions", 25_000),
    (Placement.Channel.EVENT, "Salon VivaTech, stand Provence", 5_000),
]


def _logo_png() -> bytes:
    image = Image.new("RGB", (512, 512), "#fbf6ee")
    draw = ImageDraw.Draw(image)
    draw.ellipse((56, 56, 456, 456), fill="#9c3d1f")
    draw.rectangle((56, 300, 456, 456), fill="#f2b13b")
    draw.ellipse((56, 56, 456, 456), outline="#2a1f1a", width=6)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _brochure_pdf(title: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(title)
    page.setFont("Helvetica-Bold", 24)
    page.drawString(60, 760, title)
    page.setFont("Helvetica", 13)
    for line_no, line in enumerate(
        [
            "Aix-Marseille-Provence : 7,8/10 d'indice de bonheur (moyenne nationale 7,4).",
            "83 % des habitants recommandent la Métropole (70 % ailleurs).",
            "Source : ImageTerr 2024, IMPGT.",
            "Aéronautique, énergie, maritime, logistique : des filières qui recrutent.",
        ]
    ):
        page.drawString(60, 720 - 22 * line_no, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


@transaction.atomic
def seed_demo() -> dict[str, str]:
    """Create (or refresh) the demo content; return the admin credentials."""
    campaign, _ = Campaign.objects.update_or_create(
        slug="marque-employeur-2026",
        defaults=dict(
            name="Marque employeur territoriale 2026",
            status=Campaign.Status.LIVE,
            starts_on=date(2026, 9, 30),
            reach_target=2_200_000,
            hero_title="Ici, on vit ce qu'on aime. Et on y travaille.",
            hero_title_en="Here, we live what we love. And we work here too.",
            hero_text=(
                "Ingénieures, techniciens, marins, chercheuses : celles et ceux qui font "
                "Aix-Marseille-Provence racontent pourquoi ils ont choisi d'y vivre."
            ),
            hero_text_en=(
                "Engineers, technicians, sailors, researchers: the people who make "
                "Aix-Marseille-Provence tell why they chose to live here."
            ),
        ),
    )
    for channel, place_name, audience in PLACEMENTS:
        Placement.objects.get_or_create(
            campaign=campaign,
            place_name=place_name,
            defaults=dict(channel=channel, declared_audience=audience),
        )

    sectors = {sector.slug: sector for sector in Sector.objects.all()}
    assets = [
        ("Logo One Provence", KitAsset.Kind.LOGO, None, "logo-one-provence.png", _logo_png()),
        (
            "Brochure « Pourquoi Aix-Marseille-Provence »",
            KitAsset.Kind.BROCHURE,
            None,
            "brochure-pourquoi-amp.pdf",
            _brochure_pdf("Pourquoi Aix-Marseille-Provence"),
        ),
        (
            "Fiche filière aéronautique",
            KitAsset.Kind.BROCHURE,
            sectors.get("aeronautique"),
            "fiche-aeronautique.pdf",
            _brochure_pdf("Filière aéronautique"),
        ),
    ]
    for title, kind, sector, filename, content in assets:
        if not KitAsset.objects.filter(title=title).exists():
            asset = KitAsset(title=title, kind=kind, sector=sector, credits="One Provence")
            asset.file.save(filename, ContentFile(content), save=False)
            # Through the kit's service, so a worker reads the file and renders its preview.
            kit_asset_save(asset=asset, file_changed=True)

    password = secrets.token_urlsafe(12)
    user, _ = get_user_model().objects.get_or_create(
        username="admin", defaults={"email": "admin@example.org"}
    )
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    return {"username": "admin", "password": password}
