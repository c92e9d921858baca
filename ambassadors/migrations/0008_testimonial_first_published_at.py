"""Testimonial.first_published_at: where the consent period starts (issue 12, retention)."""

from django.db import migrations, models
from django.db.models import Min, Q


def first_publications(apps, schema_editor) -> None:
    """Back-fill from the audit trail (the first move to `published`), else from published_at.

    An unpublished testimonial has lost its published_at; its history still says when it first
    went out.
    """
    Testimonial = apps.get_model("ambassadors", "Testimonial")
    rows = (
        Testimonial.objects.filter(first_published_at__isnull=True)
        .filter(Q(published_at__isnull=False) | Q(events__to_status="published"))
        .annotate(first_event=Min("events__created_at", filter=Q(events__to_status="published")))
        .values_list("pk", "first_event", "published_at")
    )
    for pk, first_event, published_at in rows.iterator():
        first = min(day for day in (first_event, published_at) if day is not None)
        Testimonial.objects.filter(pk=pk).update(first_published_at=first)


class Migration(migrations.Migration):
    dependencies = [
        ("ambassadors", "0007_consent_record_text_shown"),
    ]

    operations = [
        migrations.AddField(
            model_name="testimonial",
            name="first_published_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="première publication le"
            ),
        ),
        migrations.RunPython(first_publications, migrations.RunPython.noop),
    ]
