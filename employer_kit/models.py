"""Ready-made recruiter material: files (KitAsset) by sector and language."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class KitAsset(models.Model):
    class Kind(models.TextChoices):
        LOGO = "logo", _("logo")
        PHOTO = "photo", _("photo")
        VIDEO = "video", _("vidéo")
        BROCHURE = "brochure", _("brochure")
        TEMPLATE = "template", _("modèle de présentation")
        SOCIAL = "social", _("visuel réseaux sociaux")

    class Language(models.TextChoices):
        FR = "fr", _("français")
        EN = "en", _("anglais")
        ANY = "any", _("toutes langues")

    title = models.CharField(_("titre"), max_length=160)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    sector = models.ForeignKey(
        "campaigns.Sector",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kit_assets",
        verbose_name=_("secteur"),
        help_text=_("Vide : tous secteurs."),
    )
    language = models.CharField(
        _("langue"), max_length=3, choices=Language.choices, default=Language.FR
    )
    file = models.FileField(_("fichier"), upload_to="kit/", max_length=300)
    credits = models.CharField(_("crédits"), max_length=200, blank=True)
    usage_rights = models.CharField(
        _("droits d'usage"), max_length=300, default="Libre pour le recrutement"
    )
    available_from = models.DateField(_("disponible du"), null=True, blank=True)
    available_until = models.DateField(_("disponible jusqu'au"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "title"]
        verbose_name = _("ressource du kit")
        verbose_name_plural = _("ressources du kit")

    def __str__(self) -> str:
        return self.title
