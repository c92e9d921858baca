"""The "Kit employeur" staff group, and the first talking points (editable in the admin)."""

from django.db import migrations

GROUP = "Kit employeur"
# (app, model, actions) the group may use in the admin.
PERMISSIONS = [
    ("employer_kit", "talkingpoint", ("add", "change", "delete", "view")),
    ("employer_kit", "kitasset", ("add", "change", "delete", "view")),
    ("employer_kit", "kitassetversion", ("view",)),
    ("employer_kit", "recruiter", ("view", "delete")),
    ("employer_kit", "kitdownload", ("view",)),
    ("employer_kit", "takedownnotice", ("view",)),
    ("employer_kit", "onepager", ("view",)),
    ("campaigns", "keyfigure", ("view",)),
    ("campaigns", "sector", ("view",)),
]

# (sector slug or None, audience, language, headline, body, key figure orders)
TALKING_POINTS = [
    (
        None,
        "all",
        "fr",
        "On est plus heureux ici",
        "Les habitants d'Aix-Marseille-Provence donnent 7,8/10 à leur bonheur, contre 7,4 en "
        "moyenne nationale, et 83 % recommandent la Métropole à leurs proches.",
        [1, 2],
    ),
    (
        None,
        "all",
        "en",
        "People are happier here",
        "Residents of Aix-Marseille-Provence rate their happiness 7.8/10, against a 7.4 national "
        "average, and 83% recommend the metropolis to their friends and family.",
        [1, 2],
    ),
    (
        "aeronautique",
        "engineers",
        "fr",
        "Concevoir les hélicoptères et satellites de demain",
        "De Marignane à Cannes, la filière aéronautique et spatiale recrute des ingénieurs pour "
        "des programmes d'envergure mondiale, à 30 minutes de la mer et des calanques.",
        [1],
    ),
    (
        "energie",
        "engineers",
        "fr",
        "La transition énergétique se construit ici",
        "Hydrogène, solaire, éolien en mer, fusion avec ITER : rejoindre la filière énergie en "
        "Provence, c'est travailler sur les sujets qui comptent.",
        [2],
    ),
    (
        "maritime",
        "all",
        "fr",
        "Premier port de France",
        "Chantiers navals, câbles sous-marins, logistique portuaire : la Méditerranée offre des "
        "carrières internationales sans quitter le soleil.",
        [],
    ),
    (
        "logistique",
        "graduates",
        "fr",
        "Un carrefour entre trois continents",
        "Entre l'Europe, l'Afrique et l'Asie, la logistique provençale ouvre des postes à "
        "responsabilité dès la sortie d'école.",
        [],
    ),
    (
        None,
        "families",
        "fr",
        "Une région qui attire les talents",
        "Chaque dixième de point d'image territoriale gagné vaut +24 % d'attraction de talents : "
        "vos futurs collègues font le même choix que vous.",
        [4],
    ),
]


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after the last migration; the group needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, model, actions in PERMISSIONS:
        codenames = [f"{action}_{model}" for action in actions]
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def seed_talking_points(apps, schema_editor):
    TalkingPoint = apps.get_model("employer_kit", "TalkingPoint")
    Sector = apps.get_model("campaigns", "Sector")
    KeyFigure = apps.get_model("campaigns", "KeyFigure")
    if TalkingPoint.objects.exists():
        return
    for order, (slug, audience, language, headline, body, figures) in enumerate(TALKING_POINTS):
        point = TalkingPoint.objects.create(
            sector=Sector.objects.filter(slug=slug).first() if slug else None,
            audience=audience,
            language=language,
            headline=headline,
            body=body,
            order=order,
        )
        point.key_figures.set(KeyFigure.objects.filter(order__in=figures))


class Migration(migrations.Migration):
    dependencies = [
        ("employer_kit", "0002_recruiters_talking_points_versions"),
        ("campaigns", "0002_seed_sectors_and_key_figures"),
        ("ambassadors", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [
        migrations.RunPython(create_group, migrations.RunPython.noop),
        migrations.RunPython(seed_talking_points, migrations.RunPython.noop),
    ]
