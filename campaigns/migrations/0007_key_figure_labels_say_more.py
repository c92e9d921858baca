"""The two Bloom Consulting figures say "more", as their English labels do.

"17 % d'économie touristique…" read as a share of the tourism economy; the study says 17 % more.
Only labels still as seeded by 0002 change: an editor's own wording stays.
"""

from django.db import migrations

RENAMED = [
    (
        "d'économie touristique et d'investissements étrangers pour +0,1 point d'image "
        "territoriale (sur 5)",
        "d'économie touristique et d'investissements étrangers en plus pour +0,1 point "
        "d'image territoriale (sur 5)",
    ),
    (
        "d'attraction de talents pour +0,1 point d'image territoriale (sur 5)",
        "d'attraction de talents en plus pour +0,1 point d'image territoriale (sur 5)",
    ),
]


def say_more(apps, schema_editor):
    KeyFigure = apps.get_model("campaigns", "KeyFigure")
    for seeded, corrected in RENAMED:
        KeyFigure.objects.filter(label=seeded).update(label=corrected)


def say_as_seeded(apps, schema_editor):
    KeyFigure = apps.get_model("campaigns", "KeyFigure")
    for seeded, corrected in RENAMED:
        KeyFigure.objects.filter(label=corrected).update(label=seeded)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0006_logo_renditions")]
    operations = [migrations.RunPython(say_more, say_as_seeded)]
