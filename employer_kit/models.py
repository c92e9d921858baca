"""The employer kit: talking points, files (KitAsset) and the recruiters who download them."""

import re
import secrets
import unicodedata
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .limits import kit_asset_consent_errors


class Audience(models.TextChoices):
    ALL = "all", _("tous publics")
    ENGINEERS = "engineers", _("ingénieurs")
    GRADUATES = "graduates", _("jeunes diplômés")
    EXECUTIVES = "executives", _("cadres")
    FAMILIES = "families", _("familles")


class Language(models.TextChoices):
    FR = "fr", _("français")
    EN = "en", _("anglais")
    ANY = "any", _("toutes langues")


# Written in French in the database (the admin's language); English pages translate it.
DEFAULT_USAGE_RIGHTS = "Libre pour le recrutement"


def kit_file_key(instance: "KitAsset", filename: str) -> str:
    """A fresh folder per upload: a new version never overwrites the previous file."""
    return f"kit/assets/{secrets.token_hex(8)}/{filename}"


def new_login_nonce() -> str:
    return secrets.token_hex(16)


class TalkingPoint(models.Model):
    """An "élément de langage": structured text a recruiter copies in one click."""

    headline = models.CharField(_("accroche"), max_length=160)
    body = models.TextField(_("texte"))
    # The English text of the same point, shown on English pages (French there otherwise, said so).
    headline_en = models.CharField(_("accroche (anglais)"), max_length=160, blank=True)
    body_en = models.TextField(_("texte (anglais)"), blank=True)
    audience = models.CharField(
        _("public"), max_length=12, choices=Audience.choices, default=Audience.ALL
    )
    sector = models.ForeignKey(
        "campaigns.Sector",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="talking_points",
        verbose_name=_("secteur"),
        help_text=_("Vide : tous secteurs."),
    )
    language = models.CharField(
        _("langue"), max_length=3, choices=Language.choices, default=Language.FR
    )
    key_figures = models.ManyToManyField(
        "campaigns.KeyFigure",
        blank=True,
        related_name="talking_points",
        verbose_name=_("chiffres clés cités"),
    )
    # Its own source, when it quotes none of the key figures (which carry theirs).
    source_name = models.CharField(_("source"), max_length=200, blank=True)
    source_year = models.PositiveSmallIntegerField(_("année de la source"), null=True, blank=True)
    source_url = models.URLField(
        _("lien vers la source"), blank=True, help_text=_("Quand la source est publique.")
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    reviewed_on = models.DateField(_("dernière relecture"), null=True, blank=True)
    is_active = models.BooleanField(_("publié dans le kit"), default=True)
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("élément de langage")
        verbose_name_plural = _("éléments de langage")

    def __str__(self) -> str:
        return self.headline

    def clean(self) -> None:
        super().clean()
        # The figures being saved with it when a form says so (`TalkingPointForm`), else stored.
        figures = getattr(self, "key_figures_to_save", None)
        if figures is None:
            figures = list(self.key_figures.all()) if self.pk else []
        if errors := talking_point_source_errors(point=self, key_figures=figures):
            raise ValidationError(errors)

    @property
    def has_own_source(self) -> bool:
        return bool(self.source_name.strip() and self.source_year)

    def _translated(self) -> bool:
        """A French point on an English page, with its English text filled in."""
        return (
            (get_language() or "fr").startswith("en")
            and self.language == Language.FR
            and bool(self.headline_en and self.body_en)
        )

    @property
    def reads_in_page_language(self) -> bool:
        """False for a French point shown on an English page without its English text."""
        english_page = (get_language() or "fr").startswith("en")
        return not english_page or self.language != Language.FR or self._translated()

    @property
    def display_headline(self) -> str:
        return self.headline_en if self._translated() else self.headline

    @property
    def display_body(self) -> str:
        return self.body_en if self._translated() else self.body


def talking_point_source_errors(*, point: TalkingPoint, key_figures) -> dict[str, str]:
    """A published point needs a source: its own (name and year, the link when public) or a key
    figure it quotes (which carries its source). {} when it has one or is not published."""
    errors = {}
    if point.source_name.strip() and not point.source_year:
        errors["source_year"] = str(_("Indiquez l'année de la source."))
    if (point.source_year or point.source_url) and not point.source_name.strip():
        errors["source_name"] = str(_("Indiquez le nom de la source."))
    quoted = any(figure.source_name.strip() for figure in key_figures)
    if point.is_active and not quoted and not point.has_own_source and not errors:
        errors["is_active"] = str(
            _(
                "Un élément de langage n'est publié qu'avec sa source : citez un chiffre clé "
                "sourcé ou indiquez la source (nom, année, lien quand elle est publique)."
            )
        )
    return errors


def _plain(text: str) -> str:
    """The text without its accents, so "Video" matches "vidéo"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


class KitAsset(models.Model):
    class Kind(models.TextChoices):
        LOGO = "logo", _("logo")
        PHOTO = "photo", _("photo")
        VIDEO = "video", _("vidéo")
        BROCHURE = "brochure", _("brochure")
        TEMPLATE = "template", _("modèle de présentation")
        SOCIAL = "social", _("visuel réseaux sociaux")

    # Kept for callers that name it through the model.
    Language = Language

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
    audience = models.CharField(
        _("public"), max_length=12, choices=Audience.choices, default=Audience.ALL
    )
    language = models.CharField(
        _("langue"), max_length=3, choices=Language.choices, default=Language.FR
    )
    file = models.FileField(_("fichier"), upload_to=kit_file_key, max_length=300)
    credits = models.CharField(_("crédits"), max_length=200, blank=True)
    usage_rights = models.CharField(
        _("droits d'usage"), max_length=300, default=DEFAULT_USAGE_RIGHTS
    )
    usage_rights_en = models.CharField(
        _("droits d'usage (anglais)"),
        max_length=300,
        blank=True,
        help_text=_("Vide : la traduction de la mention par défaut, sinon le texte français."),
    )
    available_from = models.DateField(_("disponible du"), null=True, blank=True)
    available_until = models.DateField(_("disponible jusqu'au"), null=True, blank=True)
    # A published testimonial added to the kit: its consent limits apply (availability ends the
    # day before its consent period does, rights are the consent's). It is hidden while the
    # testimonial is unpublished, and withdrawn for good when the testimonial is withdrawn.
    testimonial = models.OneToOneField(
        "ambassadors.Testimonial",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kit_asset",
        verbose_name=_("témoignage"),
    )
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("motif du retrait"), max_length=200, blank=True)

    # Read from the file by `kit_asset_analyse`, never typed in.
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    file_format = models.CharField(_("format"), max_length=20, blank=True)
    size_bytes = models.BigIntegerField(_("taille (octets)"), null=True, blank=True)
    width = models.PositiveIntegerField(_("largeur (px)"), null=True, blank=True)
    height = models.PositiveIntegerField(_("hauteur (px)"), null=True, blank=True)
    duration = models.FloatField(_("durée (s)"), null=True, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    preview_key = models.CharField(_("aperçu"), max_length=300, blank=True)
    analysed_at = models.DateTimeField(_("analysé le"), null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "title"]
        verbose_name = _("ressource du kit")
        verbose_name_plural = _("ressources du kit")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """A testimonial's asset never outlasts nor outreaches its author's consent."""
        super().clean()
        if errors := kit_asset_consent_errors(asset=self):
            raise ValidationError(errors)

    @property
    def kind_before_title(self) -> str:
        """The kind to show before the title, or "" when the title already starts with it
        ("Brochure « Pourquoi… »", "Photos du port"), so a list never reads "Brochure Brochure"."""
        kind = str(self.get_kind_display())
        if re.match(rf"{re.escape(_plain(kind))}s?\b", _plain(self.title.strip()), re.IGNORECASE):
            return ""
        return kind

    @property
    def display_usage_rights(self) -> str:
        """The rights in the page's language: the English text staff typed, the default one
        translated, else the French text (a testimonial's rights are its author's words)."""
        if (get_language() or "fr").startswith("en"):
            if self.usage_rights_en:
                return self.usage_rights_en
            if self.usage_rights.strip() == DEFAULT_USAGE_RIGHTS:
                return str(_("Libre pour le recrutement"))
        return self.usage_rights

    @property
    def usage_rights_translated(self) -> bool:
        return self.display_usage_rights != self.usage_rights or not (
            get_language() or "fr"
        ).startswith("en")

    @property
    def download_name(self) -> str:
        """The file name a recruiter gets: what the file is (its title), then its extension.

        Not the uploaded name: a testimonial's file is `web.mp4`, and two of them would collide.
        """
        stored = (self.file.name or "").rsplit("/", 1)[-1]
        extension = stored.rpartition(".")[2].lower() if "." in stored else ""
        stem = slugify(self.title)[:80].strip("-") or f"ressource-{self.pk}"
        return f"{stem}.{extension}" if extension else stem


class KitAssetVersion(models.Model):
    """A previous file of an asset, kept when a new one replaces it (staff download only)."""

    asset = models.ForeignKey(
        KitAsset, on_delete=models.CASCADE, related_name="versions", verbose_name=_("ressource")
    )
    version = models.PositiveSmallIntegerField(_("version"))
    file_key = models.CharField(_("fichier"), max_length=300)
    file_format = models.CharField(_("format"), max_length=20, blank=True)
    size_bytes = models.BigIntegerField(_("taille (octets)"), null=True, blank=True)
    width = models.PositiveIntegerField(_("largeur (px)"), null=True, blank=True)
    height = models.PositiveIntegerField(_("hauteur (px)"), null=True, blank=True)
    replaced_at = models.DateTimeField(_("remplacé le"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("version précédente")
        verbose_name_plural = _("versions précédentes")
        constraints = [
            models.UniqueConstraint(fields=["asset", "version"], name="kit_asset_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.asset} v{self.version}"


class CompanySize(models.TextChoices):
    """INSEE's company size categories (the recruiter says it, or not)."""

    MICRO = "micro", _("moins de 10 salariés")
    SME = "sme", _("10 à 249 salariés")
    MIDCAP = "midcap", _("250 à 4 999 salariés")
    LARGE = "large", _("5 000 salariés ou plus")


class Recruiter(models.Model):
    """A company recruiter with access to downloads: identified once, confirmed by email."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.CharField(_("entreprise"), max_length=160)
    email = models.EmailField(_("e-mail professionnel"), unique=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    # Both optional, said by the recruiter: they break the kit's usage statistics down.
    company_size = models.CharField(
        _("taille de l'entreprise"), max_length=8, choices=CompanySize.choices, blank=True
    )
    sector = models.ForeignKey(
        "campaigns.Sector",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("secteur de l'entreprise"),
    )
    language = models.CharField(_("langue"), max_length=5, default="fr")
    confirmed_at = models.DateTimeField(_("adresse confirmée le"), null=True, blank=True)
    # Rotated each time a magic link is used, so a link works once.
    login_nonce = models.CharField(max_length=32, default=new_login_nonce, editable=False)
    last_login_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)
    created_at = models.DateTimeField(_("inscrit le"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recruteur")
        verbose_name_plural = _("recruteurs")

    def __str__(self) -> str:
        return f"{self.company} <{self.email}>"

    @property
    def storage_prefix(self) -> str:
        return f"kit/recruiters/{self.id}"


class KitDownload(models.Model):
    """Who downloaded what: for takedown notices and reporting. Goes with the account."""

    class Channel(models.TextChoices):
        SINGLE = "single", _("fichier seul")
        ARCHIVE = "archive", _("archive ZIP")
        BASKET = "basket", _("panier (ZIP)")

    recruiter = models.ForeignKey(
        Recruiter, on_delete=models.CASCADE, related_name="downloads", verbose_name=_("recruteur")
    )
    asset = models.ForeignKey(
        KitAsset,
        on_delete=models.SET_NULL,
        null=True,
        related_name="downloads",
        verbose_name=_("ressource"),
    )
    asset_title = models.CharField(_("titre"), max_length=160)
    asset_version = models.PositiveSmallIntegerField(_("version"), default=1)
    channel = models.CharField(_("mode"), max_length=8, choices=Channel.choices)
    created_at = models.DateTimeField(_("le"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("téléchargement")
        verbose_name_plural = _("téléchargements")

    def __str__(self) -> str:
        return f"{self.asset_title} ({self.created_at:%Y-%m-%d})"


class TakedownNotice(models.Model):
    """One email telling a recruiter to stop using a withdrawn asset (sent once)."""

    asset = models.ForeignKey(
        KitAsset, on_delete=models.CASCADE, related_name="takedowns", verbose_name=_("ressource")
    )
    recruiter = models.ForeignKey(
        Recruiter, on_delete=models.CASCADE, related_name="takedowns", verbose_name=_("recruteur")
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("avis de retrait")
        verbose_name_plural = _("avis de retrait")
        constraints = [
            models.UniqueConstraint(fields=["asset", "recruiter"], name="takedown_once_per_asset")
        ]

    def __str__(self) -> str:
        return f"{self.asset} → {self.recruiter}"


class OnePager(models.Model):
    """A co-branded sheet a recruiter rendered: its logo, sector, and the PDF/PNG keys."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recruiter = models.ForeignKey(
        Recruiter, on_delete=models.CASCADE, related_name="one_pagers", verbose_name=_("recruteur")
    )
    sector = models.ForeignKey(
        "campaigns.Sector", on_delete=models.SET_NULL, null=True, verbose_name=_("secteur")
    )
    language = models.CharField(_("langue"), max_length=5, default="fr")
    careers_url = models.URLField(_("page carrières"), max_length=300, blank=True)
    # The resident quoted at the bottom of the sheet: their erasure deletes the sheet's files.
    testimonial = models.ForeignKey(
        "ambassadors.Testimonial",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("témoignage cité"),
    )
    pdf_key = models.CharField(max_length=300)
    png_key = models.CharField(max_length=300)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("fiche co-brandée")
        verbose_name_plural = _("fiches co-brandées")

    def __str__(self) -> str:
        return f"{self.recruiter.company} — {self.sector}"
