"""Testimonial assets inside their consent (issue 12, findings 5 and 7).

Availability now runs from the testimonial's first publication, never past the consent, under
the consent's rights; an asset withdrawn only because its testimonial was unpublished comes
back (unpublishing now hides it while unpublished instead).
"""

from django.db import migrations


def within_consent(apps, schema_editor) -> None:
    from employer_kit.limits import testimonial_kit_limits

    KitAsset = apps.get_model("employer_kit", "KitAsset")
    assets = KitAsset.objects.filter(testimonial__isnull=False).select_related(
        "testimonial__consent__consent_text"
    )
    for asset in assets.iterator():
        fields = []
        if (
            asset.withdrawn_at is not None
            and asset.withdrawn_reason == "testimonial published -> approved"
            and asset.testimonial.status in ("approved", "published")
        ):
            asset.withdrawn_at, asset.withdrawn_reason = None, ""
            fields += ["withdrawn_at", "withdrawn_reason"]
        limits = testimonial_kit_limits(testimonial=asset.testimonial)
        if limits is not None:
            if asset.available_until is None or asset.available_until > limits.until:
                asset.available_until = limits.until
                fields.append("available_until")
            if asset.usage_rights != limits.usage_rights:
                asset.usage_rights = limits.usage_rights
                fields.append("usage_rights")
        if fields:
            asset.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("ambassadors", "0008_testimonial_first_published_at"),
        ("employer_kit", "0003_kit_group_and_talking_points"),
    ]

    operations = [migrations.RunPython(within_consent, migrations.RunPython.noop)]
