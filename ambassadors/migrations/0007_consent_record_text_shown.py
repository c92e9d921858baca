"""Each consent proof keeps the exact text shown, its language and its SHA-256.

Existing proofs are filled from their consent version as it stands (the best copy there is of
what was shown), rendered as the consent page renders it (ambassadors.services.consent, frozen
here so this migration never changes with the code).
"""

import hashlib

from django.db import migrations, models

# What the consent page says in English when a version has no English title.
ENGLISH_TITLE = "Permission to broadcast your video (image rights)"


def _shown(consent_text, language: str) -> str:
    if language == "en":
        body = consent_text.body_en or consent_text.body
        title = consent_text.title_en or ENGLISH_TITLE
    else:
        body, title = consent_text.body, consent_text.title
    return title + "\n\n" + "\n".join(line for line in body.splitlines() if line.strip())


def backfill(apps, schema_editor):
    ConsentRecord = apps.get_model("ambassadors", "ConsentRecord")
    records = ConsentRecord.objects.filter(text_sha256="").select_related(
        "consent_text", "testimonial"
    )
    for record in records.iterator():
        language = (record.choices or {}).get("language") or (
            record.testimonial.language if record.testimonial else "fr"
        )
        language = "en" if str(language).startswith("en") else "fr"
        text = _shown(record.consent_text, language)
        ConsentRecord.objects.filter(pk=record.pk).update(
            text_language=language,
            text_shown=text,
            text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )


class Migration(migrations.Migration):
    dependencies = [("ambassadors", "0006_testimonial_signature")]

    operations = [
        migrations.AddField(
            model_name="consentrecord",
            name="text_language",
            field=models.CharField(
                blank=True, max_length=5, verbose_name="langue du texte présenté"
            ),
        ),
        migrations.AddField(
            model_name="consentrecord",
            name="text_sha256",
            field=models.CharField(
                blank=True, max_length=64, verbose_name="empreinte SHA-256 du texte"
            ),
        ),
        migrations.AddField(
            model_name="consentrecord",
            name="text_shown",
            field=models.TextField(blank=True, verbose_name="texte présenté"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
