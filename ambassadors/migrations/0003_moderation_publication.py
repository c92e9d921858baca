"""Moderation fields, rejection reasons, the publishing rhythm, and the staff groups.

The groups get least privilege (DESIGN §2): superusers alone manage users, groups and the
consent text. "Campagnes" gets every permission of the campaigns app (models added later are
granted by `ambassadors.receivers.app_wide_groups_complete` after each migrate).
"""

import datetime

import django.core.validators
from django.db import migrations, models

GROUPS = {
    "Modération": {
        "ambassadors.testimonial": ["view", "change", "moderate", "erase"],
        "ambassadors.testimonialevent": ["view"],
        "ambassadors.consentrecord": ["view"],
        "ambassadors.rejectionreason": ["view", "add", "change", "delete"],
        "ambassadors.publicationrhythm": ["view", "change"],
    },
    "Campagnes": {"campaigns": "all"},
}
# "Kit employeur" is created by employer_kit's own migration (0003), with its exact permissions.

REASONS = [
    (
        "Son ou image inexploitable",
        "Le son ou l'image de votre vidéo ne permet pas de la diffuser dans de bonnes conditions.",
        "The sound or picture of your video is not good enough for us to publish it.",
    ),
    (
        "Hors sujet",
        "Votre vidéo ne parle pas de votre vie ou de votre travail dans la métropole Aix-Marseille-Provence.",
        "Your video is not about your life or work in the Aix-Marseille-Provence metropolis.",
    ),
    (
        "Propos ou contenu inadapté",
        "Votre vidéo contient des propos ou des images que nous ne pouvons pas publier (marques, personnes non consentantes, propos contraires à la charte).",
        "Your video contains words or images we cannot publish (brands, people who have not consented, statements against our charter).",
    ),
    (
        "Doublon",
        "Nous avons déjà reçu cette vidéo.",
        "We have already received this video.",
    ),
]


def _create_permissions(apps):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations (post_migrate); the groups need
    # them now.
    for app_config in apps.get_app_configs():
        # A historical app config has no models module; the real registry (when a test replays
        # this step) must keep its own.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module


def seed(apps, schema_editor):
    _create_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for target, actions in grants.items():
            if actions == "all":
                permissions = Permission.objects.filter(content_type__app_label=target)
            else:
                app_label, model = target.split(".")
                codenames = [f"{action}_{model}" for action in actions]
                permissions = Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
                assert permissions.count() == len(codenames), (target, codenames)
            group.permissions.add(*permissions)
    RejectionReason = apps.get_model("ambassadors", "RejectionReason")
    for order, (label, text, text_en) in enumerate(REASONS):
        RejectionReason.objects.get_or_create(
            label=label, defaults={"text": text, "text_en": text_en, "order": order}
        )
    apps.get_model("ambassadors", "PublicationRhythm").objects.get_or_create(pk=1)


def unseed(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ambassadors", "0002_seed_consent_text"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("campaigns", "0003_funnel_count"),
    ]

    operations = [
        migrations.CreateModel(
            name="PublicationRhythm",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "weekdays",
                    models.CharField(
                        default="01234",
                        help_text="0 = lundi … 6 = dimanche ; « 01234 » : du lundi au vendredi.",
                        max_length=7,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[0-6]{1,7}$", "Indiquez des chiffres de 0 à 6."
                            )
                        ],
                        verbose_name="jours de publication",
                    ),
                ),
                (
                    "time_of_day",
                    models.TimeField(
                        default=datetime.time(10, 0), verbose_name="heure de publication"
                    ),
                ),
                (
                    "per_day",
                    models.PositiveSmallIntegerField(
                        default=1, verbose_name="témoignages par jour"
                    ),
                ),
            ],
            options={
                "verbose_name": "rythme de publication",
                "verbose_name_plural": "rythme de publication",
            },
        ),
        migrations.CreateModel(
            name="RejectionReason",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "label",
                    models.CharField(
                        max_length=80, unique=True, verbose_name="libellé (modération)"
                    ),
                ),
                ("text", models.TextField(verbose_name="texte envoyé (français)")),
                ("text_en", models.TextField(blank=True, verbose_name="texte envoyé (anglais)")),
                ("order", models.PositiveSmallIntegerField(default=0, verbose_name="ordre")),
                ("is_active", models.BooleanField(default=True, verbose_name="proposé")),
            ],
            options={
                "verbose_name": "motif de refus",
                "verbose_name_plural": "motifs de refus",
                "ordering": ["order", "label"],
            },
        ),
        migrations.AlterModelOptions(
            name="testimonial",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    (
                        "moderate_testimonial",
                        "Peut approuver, refuser et programmer les témoignages",
                    ),
                    ("erase_testimonial", "Peut effacer un témoignage et ses fichiers"),
                ],
                "verbose_name": "témoignage",
                "verbose_name_plural": "témoignages",
            },
        ),
        migrations.AddField(
            model_name="testimonial",
            name="has_captions",
            field=models.BooleanField(default=False, verbose_name="sous-titres"),
        ),
        migrations.AddField(
            model_name="testimonial",
            name="tags",
            field=models.CharField(
                blank=True,
                help_text="Séparés par des virgules.",
                max_length=200,
                verbose_name="mots-clés",
            ),
        ),
        migrations.RunPython(seed, unseed),
    ]
