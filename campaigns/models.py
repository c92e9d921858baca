"""The national campaign: its pages, the region's key figures, sectors and QR placements."""

import secrets
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.images import get_image_dimensions
from django.core.validators import RegexValidator
from django.db import models
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .images import LOGO_MAX_PIXELS
from .theme import HEX_COLOUR


def localized(obj: models.Model, field: str) -> str:
    """Return the English variant of `field` on English pages when it is filled in."""
    if (get_language() or "fr").startswith("en"):
        value = getattr(obj, f"{field}_en", "")
        if value:
            return value
    return getattr(obj, field)


def figure_text(value: Decimal, unit: str) -> str:
    """Write a figure and its unit as the current language does: 7,8/10, 83 % in French
    (decimal comma, narrow no-break space before %), 7.8/10, 83% in English."""
    number = f"{value.normalize():f}"
    if (get_language() or "fr").startswith("en"):
        return f"{number}{unit}"
    number = number.replace(".", ",")
    if unit.startswith("%"):
        return f"{number}\u202f{unit}"
    return f"{number}{unit}"


# Only #rrggbb reaches the pages' stylesheet (campaigns/theme.py falls back to the house
# colours for anything else); the admin refuses other values up front.
validate_colour = RegexValidator(
    rf"\A{HEX_COLOUR.pattern}\Z",
    message=_("Indiquez une couleur au format #rrggbb, par exemple #9c3d1f."),
    code="colour",
)
COLOUR_HELP = _(
    "Au format #rrggbb. Sur les pages, le texte posé sur cette couleur est blanc ou foncé, "
    "selon ce qui reste lisible (contraste WCAG AA)."
)


def validate_logo_size(value) -> None:
    """Refuse a freshly uploaded logo too big to decode safely (LOGO_MAX_PIXELS)."""
    if getattr(value, "_committed", True):
        return  # already stored: checked when it was uploaded
    width, height = get_image_dimensions(value)
    if width and height and width * height > LOGO_MAX_PIXELS:
        raise ValidationError(
            _(
                "Ce logo fait %(width)s × %(height)s pixels : envoyez une image de "
                "%(limit)s millions de pixels au plus (2 000 pixels de large suffisent)."
            ),
            code="logo_size",
            params={"width": width, "height": height, "limit": LOGO_MAX_PIXELS // 1_000_000},
        )


class Sector(models.Model):
    slug = models.SlugField(_("identifiant"), unique=True)
    name = models.CharField(_("nom"), max_length=80)
    name_en = models.CharField(_("nom (anglais)"), max_length=80, blank=True)
    description = models.TextField(_("texte"), blank=True)
    description_en = models.TextField(_("texte (anglais)"), blank=True)
    image = models.ImageField(_("image"), upload_to="sectors/", blank=True)
    image_alt = models.CharField(_("description de l'image"), max_length=200, blank=True)
    image_alt_en = models.CharField(
        _("description de l'image (anglais)"), max_length=200, blank=True
    )
    # Public WebP/JPEG copies of `image` at these widths (written by `image_renditions_write`).
    image_renditions = models.JSONField(_("déclinaisons de l'image"), default=dict, blank=True)
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    # Archived, never deleted: what refers to a sector (figures, testimonials, the kit's talking
    # points and assets) keeps it, and the public pages and pickers no longer offer it.
    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("secteur")
        verbose_name_plural = _("secteurs")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("campaigns:sector", args=[self.slug])

    @property
    def display_name(self) -> str:
        return localized(self, "name")

    @property
    def display_description(self) -> str:
        return localized(self, "description")


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        LIVE = "live", _("en ligne")
        ENDED = "ended", _("terminée")

    name = models.CharField(_("nom"), max_length=120)
    slug = models.SlugField(_("identifiant"), unique=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    reach_target = models.PositiveIntegerField(_("objectif d'audience (personnes)"), default=0)
    hero_title = models.CharField(_("titre"), max_length=160)
    hero_title_en = models.CharField(_("titre (anglais)"), max_length=160, blank=True)
    hero_text = models.TextField(_("texte d'accroche"), blank=True)
    hero_text_en = models.TextField(_("texte d'accroche (anglais)"), blank=True)
    hero_image = models.ImageField(
        _("image principale"),
        upload_to="campaigns/",
        blank=True,
        help_text=_("Une vraie photo de la région, au moins 1920 px de large."),
    )
    hero_image_alt = models.CharField(_("description de l'image"), max_length=200, blank=True)
    hero_image_alt_en = models.CharField(
        _("description de l'image (anglais)"), max_length=200, blank=True
    )
    # Public WebP/JPEG copies of `hero_image` at these widths (written by `image_renditions_write`).
    hero_renditions = models.JSONField(_("déclinaisons de l'image"), default=dict, blank=True)
    cta_label = models.CharField(
        _("appel à l'action"), max_length=80, default="Je deviens ambassadeur"
    )
    cta_label_en = models.CharField(
        _("appel à l'action (anglais)"), max_length=80, default="Become an ambassador"
    )
    primary_color = models.CharField(
        _("couleur principale"),
        max_length=7,
        default="#9c3d1f",
        validators=[validate_colour],
        help_text=COLOUR_HELP,
    )
    accent_color = models.CharField(
        _("couleur d'accent"),
        max_length=7,
        default="#f2b13b",
        validators=[validate_colour],
        help_text=COLOUR_HELP,
    )
    logo = models.ImageField(
        _("logo"),
        upload_to="campaigns/logos/",
        blank=True,
        validators=[validate_logo_size],
        help_text=_(
            "PNG, WebP ou GIF à fond transparent de préférence. Il figure sur les QR codes, "
            "les affiches et, en haut des pages de la campagne, sur une pastille blanche."
        ),
    )
    # Public WebP/PNG copies of `logo` for the pages (written by `logo_renditions_write`).
    logo_renditions = models.JSONField(_("déclinaisons du logo"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("campagne")
        verbose_name_plural = _("campagnes")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("campaigns:campaign", args=[self.slug])

    @property
    def display_title(self) -> str:
        return localized(self, "hero_title")

    @property
    def display_text(self) -> str:
        return localized(self, "hero_text")

    @property
    def display_cta(self) -> str:
        return localized(self, "cta_label")


class KeyFigure(models.Model):
    """A figure the campaign quotes, always with its source."""

    value = models.DecimalField(_("valeur"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unité"), max_length=20, blank=True)
    label = models.CharField(_("libellé"), max_length=200)
    label_en = models.CharField(_("libellé (anglais)"), max_length=200, blank=True)
    comparison_value = models.DecimalField(
        _("valeur de comparaison"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    comparison_label = models.CharField(_("libellé de comparaison"), max_length=200, blank=True)
    comparison_label_en = models.CharField(
        _("libellé de comparaison (anglais)"), max_length=200, blank=True
    )
    source_name = models.CharField(_("source"), max_length=200)
    source_url = models.URLField(_("lien vers la source"), blank=True)
    year = models.PositiveSmallIntegerField(_("année"), null=True, blank=True)
    sector = models.ForeignKey(
        Sector,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="key_figures",
        verbose_name=_("secteur"),
        help_text=_("Vide : un chiffre de toute la région, montré sur la page d'accueil."),
    )
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(_("affiché"), default=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("chiffre clé")
        verbose_name_plural = _("chiffres clés")

    def __str__(self) -> str:
        # Read in the admin, which is French whatever language the request is in.
        with translation.override(settings.LANGUAGE_CODE):
            return f"{figure_text(self.value, self.unit)} — {self.label}"

    def clean(self) -> None:
        # A figure the public reads is sourced: a name (required by the field) and a year.
        if self.is_active and not self.year:
            raise ValidationError(
                {
                    "year": _(
                        "Un chiffre affiché donne l'année de sa source (avec son nom, et son "
                        "lien quand elle est publique)."
                    )
                }
            )

    @property
    def display_value(self) -> str:
        return figure_text(self.value, self.unit)

    @property
    def display_comparison_value(self) -> str:
        if self.comparison_value is None:
            return ""
        return figure_text(self.comparison_value, self.unit)

    @property
    def display_label(self) -> str:
        return localized(self, "label")

    @property
    def display_comparison_label(self) -> str:
        return localized(self, "comparison_label")


# Printed codes are read and typed by people: lower case only (a code typed in capitals
# resolves the same), and none of the characters people confuse (i, l, 1; o, 0). Codes made
# before (`secrets.token_urlsafe`, mixed case) keep working exactly as printed.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 10  # 31 ** 10: about 49.5 random bits


def new_placement_code() -> str:
    """Return a short, unguessable code people can read and type (about 49 random bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _site_path_resolves(path: str) -> bool:
    """Whether a path of this site answers: a route matches it (in one of the site's
    languages, for the `/en/` prefix) and, for the campaigns' own pages, the sector or the
    campaign it names exists. Other apps' pages are checked as far as their routes go."""
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            try:
                match = resolve(path)
            except Resolver404:
                continue
        if match.namespace == "campaigns" and match.url_name == "sector":
            return Sector.objects.filter(
                slug=match.kwargs.get("slug"), archived_at__isnull=True
            ).exists()
        if match.namespace == "campaigns" and match.url_name == "campaign":
            return Campaign.objects.filter(slug=match.kwargs.get("slug")).exists()
        return True
    return False


def validate_destination(value: str) -> None:
    """Accept a path on this site that answers ("/ambassadeurs/") or an https:// address."""
    parts = urlsplit(value)
    on_site = not parts.scheme and not parts.netloc and value.startswith("/")
    if not on_site and not (parts.scheme == "https" and parts.netloc):
        raise ValidationError(
            _("Indiquez un chemin du site commençant par « / » ou une adresse en https://."),
            code="destination",
        )
    if on_site and not value.startswith("//") and not _site_path_resolves(parts.path):
        raise ValidationError(
            _(
                "La page « %(path)s » n'existe pas sur le site : les personnes qui scannent "
                "tomberaient sur une erreur. Vérifiez l'adresse (copiez-la depuis la barre "
                "d'adresse du navigateur)."
            ),
            code="destination_missing",
            params={"path": parts.path},
        )


class Placement(models.Model):
    """One place a QR code is shown; its code never changes, its destination may."""

    class Channel(models.TextChoices):
        STATION = "station", _("gare")
        AIRPORT = "airport", _("aéroport")
        SOCIAL = "social", _("réseau social")
        PRESS = "press", _("presse")
        EVENT = "event", _("événement")
        OTHER = "other", _("autre")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="placements", verbose_name=_("campagne")
    )
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    place_name = models.CharField(_("emplacement"), max_length=160)
    code = models.SlugField(_("code"), max_length=16, unique=True, default=new_placement_code)
    destination = models.CharField(
        _("destination"),
        max_length=500,
        blank=True,
        help_text=_(
            "Chemin du site ou adresse https://. Vide : la page d'accueil des ambassadeurs. "
            "Modifiable à tout moment : le QR code imprimé ne change pas."
        ),
        validators=[validate_destination],
    )
    starts_on = models.DateField(_("début"), null=True, blank=True)
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    declared_audience = models.PositiveIntegerField(_("audience déclarée (personnes)"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "place_name"]
        verbose_name = _("emplacement QR")
        verbose_name_plural = _("emplacements QR")

    def __str__(self) -> str:
        return f"{self.place_name} ({self.get_channel_display()})"

    def get_absolute_url(self) -> str:
        return f"/q/{self.code}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("La fin doit suivre le début.")})


class DestinationChange(models.Model):
    """One change of a placement's destination: who asked for it, when, from what, to what.

    `effective_on` empty: applied when saved. A date: scheduled, the scan follows it from
    that day (campaigns.scans) and the periodic flush writes it on the placement
    (`applied_at`) within a minute after midnight.
    """

    placement = models.ForeignKey(
        Placement,
        on_delete=models.CASCADE,
        related_name="destination_changes",
        verbose_name=_("emplacement QR"),
    )
    from_destination = models.CharField(_("ancienne destination"), max_length=500, blank=True)
    to_destination = models.CharField(
        _("nouvelle destination"), max_length=500, blank=True, validators=[validate_destination]
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    changed_at = models.DateTimeField(_("le"), auto_now_add=True)
    effective_on = models.DateField(_("à partir du"), null=True, blank=True)
    applied_at = models.DateTimeField(_("appliquée le"), null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("changement de destination")
        verbose_name_plural = _("changements de destination")

    def __str__(self) -> str:
        return f"{self.from_destination or '—'} → {self.to_destination or '—'}"


class FunnelCount(models.Model):
    """How many times one funnel step happened for one placement on one day.

    No personal data: a count per (placement, day, step), incremented atomically.
    `placement` is empty for journeys that did not come through a QR code.
    """

    class Step(models.TextChoices):
        SCAN = "scan", _("scans")
        LANDING = "landing", _("visites de la page ambassadeurs")
        RECORDING_STARTED = "recording_started", _("enregistrements commencés")
        UPLOAD_COMPLETED = "upload_completed", _("envois terminés")

    placement = models.ForeignKey(
        Placement,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="funnel_counts",
        verbose_name=_("emplacement QR"),
    )
    day = models.DateField(_("jour"))
    step = models.CharField(_("étape"), max_length=20, choices=Step.choices)
    count = models.PositiveIntegerField(_("nombre"), default=0)

    class Meta:
        ordering = ["-day", "placement", "step"]
        verbose_name = _("compteur du parcours")
        verbose_name_plural = _("compteurs du parcours")
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "day", "step"],
                name="funnel_count_unique_per_day",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.step}: {self.count}"
