"""Seed the first version of the image-rights release, editable in the admin."""

from django.db import migrations

BODY = """J'autorise One Provence, agence d'attractivité de la Métropole Aix-Marseille-Provence, à diffuser la vidéo que j'envoie, mon prénom, ma commune et mon métier, dans le cadre de la campagne « Tous Ambassadeurs » :
- canaux : site web de la campagne, réseaux sociaux de One Provence, affichage et kit employeur remis aux recruteurs du territoire ;
- durée : 36 mois à compter de la publication, sans contrepartie financière ;
- mon nom de famille et mon adresse e-mail ne sont jamais publiés.
Je peux retirer mon témoignage à tout moment grâce au lien reçu par e-mail : la vidéo et mes données sont alors effacées ; seule une preuve anonyme de ce consentement est conservée."""

BODY_EN = """I authorise One Provence, the attractiveness agency of the Aix-Marseille-Provence metropolis, to broadcast the video I send, my first name, my town and my job, as part of the "Tous Ambassadeurs" campaign:
- channels: the campaign website, One Provence's social networks, posters and the employer kit given to local recruiters;
- duration: 36 months from publication, without payment;
- my last name and email address are never published.
I can withdraw my testimonial at any time with the link I receive by email: the video and my data are then erased; only an anonymous proof of this consent is kept."""


def seed(apps, schema_editor):
    ConsentText = apps.get_model("ambassadors", "ConsentText")
    ConsentText.objects.get_or_create(
        version="2026.1",
        defaults=dict(
            title="Autorisation de diffusion (droit à l'image)",
            body=BODY,
            body_en=BODY_EN,
            is_current=True,
        ),
    )


class Migration(migrations.Migration):
    dependencies = [("ambassadors", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
