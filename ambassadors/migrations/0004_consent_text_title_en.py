"""An English title for the image-rights release; the first version gets its translation."""

from django.db import migrations, models


def seed(apps, schema_editor):
    ConsentText = apps.get_model("ambassadors", "ConsentText")
    ConsentText.objects.filter(version="2026.1", title_en="").update(
        title_en="Permission to broadcast your video (image rights)"
    )


class Migration(migrations.Migration):
    dependencies = [("ambassadors", "0003_moderation_publication")]

    operations = [
        migrations.AddField(
            model_name="consenttext",
            name="title_en",
            field=models.CharField(blank=True, max_length=160, verbose_name="titre (anglais)"),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
