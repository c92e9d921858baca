"""Seed the four sectors of excellence and the key figures of the campaign (DESIGN §1)."""

from decimal import Decimal

from django.db import migrations

SECTORS = [
    (
        "aeronautique",
        "Aéronautique",
        "Aeronautics",
        "Hélicoptères, satellites, drones : de Marignane à Cannes, une filière qui recrute des ingénieurs.",
        "Helicopters, satellites, drones: an industry hiring engineers from Marignane to Cannes.",
    ),
    (
        "energie",
        "Énergie",
        "Energy",
        "Hydrogène, solaire, éolien en mer, fusion avec ITER : la transition se construit ici.",
        "Hydrogen, solar, offshore wind, fusion with ITER: the transition is being built here.",
    ),
    (
        "maritime",
        "Maritime",
        "Maritime",
        "Premier port de France, chantiers navals, câbles sous-marins : la Méditerranée au travail.",
        "France's first port, shipyards, subsea cables: the Mediterranean at work.",
    ),
    (
        "logistique",
        "Logistique",
        "Logistics",
        "Un carrefour entre l'Europe, l'Afrique et l'Asie, du quai au dernier kilomètre.",
        "A crossroads between Europe, Africa and Asia, from the quay to the last mile.",
    ),
]

FIGURES = [
    dict(
        value=Decimal("7.8"),
        unit="/10",
        label="Indice de bonheur des habitants",
        label_en="Residents' happiness index",
        comparison_value=Decimal("7.4"),
        comparison_label="moyenne nationale",
        comparison_label_en="national average",
        source_name="ImageTerr 2024 — IMPGT, Aix-Marseille Université",
        year=2024,
        order=1,
    ),
    dict(
        value=Decimal("83"),
        unit="%",
        label="des habitants recommandent la Métropole",
        label_en="of residents recommend the metropolis",
        comparison_value=Decimal("70"),
        comparison_label="dans les autres grandes villes françaises",
        comparison_label_en="in other large French cities",
        source_name="ImageTerr 2024 — IMPGT, Aix-Marseille Université",
        year=2024,
        order=2,
    ),
    dict(
        value=Decimal("17"),
        unit="%",
        label="d'économie touristique et d'investissements étrangers pour +0,1 point d'image territoriale (sur 5)",
        label_en="more tourism economy and foreign investment for +0.1 point of territorial image (out of 5)",
        source_name="Bloom Consulting",
        order=3,
    ),
    dict(
        value=Decimal("24"),
        unit="%",
        label="d'attraction de talents pour +0,1 point d'image territoriale (sur 5)",
        label_en="more talent attraction for +0.1 point of territorial image (out of 5)",
        source_name="Bloom Consulting",
        order=4,
    ),
]


def seed(apps, schema_editor):
    Sector = apps.get_model("campaigns", "Sector")
    KeyFigure = apps.get_model("campaigns", "KeyFigure")
    for order, (slug, name, name_en, text, text_en) in enumerate(SECTORS, start=1):
        Sector.objects.update_or_create(
            slug=slug,
            defaults=dict(
                name=name, name_en=name_en, description=text, description_en=text_en, order=order
            ),
        )
    if not KeyFigure.objects.exists():
        for figure in FIGURES:
            KeyFigure.objects.create(**figure)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
