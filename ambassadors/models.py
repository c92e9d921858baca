"""Testimonials, their status machine, consent records and audit events."""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    CREATED = "created", _("créé")
    UPLOADED = "uploaded", _("envoyé")
    PROCESSING = "processing", _("en traitement")
    IN_REVIEW = "in_review", _("à modérer")
    APPROVED = "approved", _("approuvé")
    PUBLISHED = "published", _("publié")
    REJECTED = "rejected", _("refusé")
    WITHDRAWN = "withdrawn", _("retiré")
    ERASED = "erased", _("effacé")


# The status machine (DESIGN §4): the only allowed moves. `services.status.testimonial_transition`
# is the one place that applies them; nothing else assigns `Testimonial.status`.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.CREATED: frozenset({Status.UPLOADED, Status.WITHDRAWN}),
    Status.UPLOADED: frozenset({Status.PROCESSING, Status.WITHDRAWN}),
    # PROCESSING -> UPLOADED: the stuck-job sweeper hands a job back to the queue.
    Status.PROCESSING: frozenset(
        {Status.IN_REVIEW, Status.REJECTED, Status.UPLOADED, Status.WITHDRAWN}
    ),
    Status.IN_REVIEW: frozenset({Status.APPROVED, Status.REJECTED, Status.WITHDRAWN}),
    Status.APPROVED: frozenset(
        {Status.PUBLISHED, Status.IN_REVIEW, Status.REJECTED, Status.WITHDRAWN}
    ),
    # PUBLISHED -> APPROVED: unpublish (kept approved, off every public page).
    Status.PUBLISHED: frozenset({Status.APPROVED, Status.WITHDRAWN}),
    Status.REJECTED: frozenset({Status.IN_REVIEW, Status.WITHDRAWN}),
    Status.WITHDRAWN: frozenset({Status.ERASED}),
    Status.ERASED: frozenset(),
}


class ConsentText(models.Model):
    """A version of the image-rights release ("droit à l'image") shown to residents."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    title = models.CharField(_("titre"), max_length=160)
    title_en = models.CharField(_("titre (anglais)"), max_length=160, blank=True)
    body = models.TextField(_("texte (français)"))
    body_en = models.TextField(_("texte (anglais)"), blank=True)
    channels = models.CharField(
        _("canaux de diffusion"),
        max_length=300,
        default="site web, réseaux sociaux, affichage, kit employeur",
    )
    duration_months = models.PositiveSmallIntegerField(_("durée (mois)"), default=36)
    is_current = models.BooleanField(_("en vigueur"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("texte de consentement")
        verbose_name_plural = _("textes de consentement")

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if self.pk is not None and (
            update_fields is None or set(update_fields) & set(CONSENT_TEXT_LOCKED_FIELDS)
        ):
            self.locked_change_refuse()
        super().save(*args, **kwargs)

    @property
    def is_accepted(self) -> bool:
        """True once a resident accepted this version: its wording can no longer change."""
        return self.pk is not None and ConsentRecord.objects.filter(consent_text=self).exists()

    def locked_change_refuse(self) -> None:
        """Raise ConsentTextLocked if this accepted version's wording, duration or channels
        differ from what is stored (every proof points at the stored wording)."""
        stored = type(self).objects.filter(pk=self.pk).values(*CONSENT_TEXT_LOCKED_FIELDS).first()
        if stored is None:
            return
        changed = [name for name, value in stored.items() if getattr(self, name) != value]
        if changed and self.is_accepted:
            raise ConsentTextLocked(changed)


# The wording of a consent version and what it grants: frozen once a resident accepted it.
CONSENT_TEXT_LOCKED_FIELDS = (
    "version",
    "title",
    "title_en",
    "body",
    "body_en",
    "duration_months",
    "channels",
)


class ConsentTextLocked(ValidationError):
    """An accepted consent version was about to change; a new wording is a new version."""

    def __init__(self, fields: list[str]) -> None:
        self.fields = fields
        super().__init__(
            _(
                "Cette version du texte de consentement a déjà été acceptée : son texte, sa "
                "durée et ses canaux ne peuvent plus être modifiés. Créez une nouvelle version "
                "à partir de celle-ci."
            ),
            code="consent_text_locked",
        )


class Testimonial(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(
        _("statut"), max_length=12, choices=Status.choices, default=Status.CREATED, db_index=True
    )
    status_changed_at = models.DateTimeField(_("changement de statut"), auto_now_add=True)
    placement = models.ForeignKey(
        "campaigns.Placement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="testimonials",
        verbose_name=_("emplacement QR"),
    )
    sector = models.ForeignKey(
        "campaigns.Sector",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="testimonials",
        verbose_name=_("secteur"),
    )
    language = models.CharField(_("langue"), max_length=5, default="fr")

    # Personal data: never logged, never in an object key, emptied on erasure. Last name and email
    # are never shown; the first name (as display_name), commune and job show once published.
    first_name = models.CharField(_("prénom"), max_length=60, blank=True)
    last_name = models.CharField(_("nom"), max_length=80, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    commune = models.CharField(_("commune"), max_length=80, blank=True)
    job_title = models.CharField(_("métier"), max_length=100, blank=True)

    # What the public sees, edited by moderators.
    display_name = models.CharField(_("nom affiché"), max_length=60, blank=True)
    quote = models.CharField(_("citation"), max_length=280, blank=True)
    featured = models.BooleanField(_("à la une"), default=False)
    tags = models.CharField(
        _("mots-clés"), max_length=200, blank=True, help_text=_("Séparés par des virgules.")
    )
    # True once a captions file (keys.CAPTIONS) is in the private store (and in the public one
    # while published): pages read this instead of asking the store.
    has_captions = models.BooleanField(_("sous-titres"), default=False)

    # Media, filled by the pipeline. Keys are deterministic: testimonials/<uuid>/...
    original_key = models.CharField(_("fichier original"), max_length=200, blank=True)
    original_size = models.BigIntegerField(_("taille (octets)"), null=True, blank=True)
    web_size = models.BigIntegerField(
        _("taille de la vidéo publiée (octets)"), null=True, blank=True
    )
    content_hash = models.CharField(_("empreinte"), max_length=64, blank=True, db_index=True)
    # Perceptual signature of the picture (ambassadors.media.signature): near-duplicates.
    signature = models.TextField(_("signature perceptuelle"), blank=True, editable=False)
    # Indexed: near-duplicates are looked for among videos of about the same duration.
    duration = models.FloatField(_("durée (s)"), null=True, blank=True, db_index=True)
    probe = models.JSONField(_("analyse technique"), default=dict, blank=True)
    flags = models.JSONField(_("signalements automatiques"), default=list, blank=True)
    processing_attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    rejection_reason = models.TextField(_("motif de refus"), blank=True)

    publish_at = models.DateTimeField(_("publication prévue"), null=True, blank=True)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    # Set once, by the first publication: the consent period ("36 mois à compter de la
    # publication") runs from here, and an unpublish/republish does not restart it.
    first_published_at = models.DateTimeField(
        _("première publication le"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("témoignage")
        verbose_name_plural = _("témoignages")
        indexes = [models.Index(fields=["status", "publish_at"])]
        permissions = [
            ("moderate_testimonial", _("Peut approuver, refuser et programmer les témoignages")),
            ("erase_testimonial", _("Peut effacer un témoignage et ses fichiers")),
        ]

    def __str__(self) -> str:
        return self.display_name or self.first_name or str(self.id)[:8]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("gallery:detail", args=[self.pk])

    @property
    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]

    @property
    def storage_prefix(self) -> str:
        return f"testimonials/{self.id}"

    def can_move_to(self, status: str) -> bool:
        return status in ALLOWED_TRANSITIONS[self.status]


class TestimonialEvent(models.Model):
    """One audited move of the status machine (who, when, from, to, note)."""

    testimonial = models.ForeignKey(
        Testimonial, on_delete=models.CASCADE, related_name="events", verbose_name=_("témoignage")
    )
    from_status = models.CharField(_("de"), max_length=12, choices=Status.choices)
    to_status = models.CharField(_("vers"), max_length=12, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("par"),
    )
    # "resident", "system", "worker", or empty when `actor` is a staff member.
    actor_label = models.CharField(_("origine"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("le"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("événement")
        verbose_name_plural = _("historique")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class ConsentRecord(models.Model):
    """Proof of consent: survives erasure in anonymised form (no personal data)."""

    testimonial = models.OneToOneField(
        Testimonial,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consent",
        verbose_name=_("témoignage"),
    )
    # Kept after erasure: which testimonial it was, without any personal data.
    testimonial_ref = models.UUIDField(_("référence du témoignage"), db_index=True)
    consent_text = models.ForeignKey(
        ConsentText, on_delete=models.PROTECT, verbose_name=_("texte accepté")
    )
    text_version = models.CharField(_("version du texte"), max_length=20)
    accepted_at = models.DateTimeField(_("accepté le"))
    choices = models.JSONField(_("choix"), default=dict)
    placement = models.ForeignKey(
        "campaigns.Placement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("emplacement QR"),
    )
    is_minor = models.BooleanField(_("mineur (15-17 ans)"), default=False)
    parent_email = models.EmailField(_("e-mail du parent"), blank=True)
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True)
    # The exact text the resident was shown (title and body, in their language) and the
    # SHA-256 (hex) of its UTF-8 bytes: kept on anonymisation, exported as the proof.
    text_language = models.CharField(_("langue du texte présenté"), max_length=5, blank=True)
    text_shown = models.TextField(_("texte présenté"), blank=True)
    text_sha256 = models.CharField(_("empreinte SHA-256 du texte"), max_length=64, blank=True)
    # A minor's consent holds once a parent confirms it through their own signed link
    # (ambassadors.services.parents); until then the testimonial cannot be approved.
    parent_confirmed_at = models.DateTimeField(
        _("accord parental confirmé le"), null=True, blank=True
    )
    parent_reminders_sent = models.PositiveSmallIntegerField(_("relances du parent"), default=0)
    parent_last_reminded_at = models.DateTimeField(
        _("dernière relance du parent"), null=True, blank=True
    )

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("preuve de consentement")
        verbose_name_plural = _("preuves de consentement")

    def __str__(self) -> str:
        return f"v{self.text_version} — {self.accepted_at:%Y-%m-%d %H:%M}"


class RejectionReason(models.Model):
    """A reusable reason for refusing a testimonial, sent to the resident in their language."""

    label = models.CharField(_("libellé (modération)"), max_length=80, unique=True)
    text = models.TextField(_("texte envoyé (français)"))
    text_en = models.TextField(_("texte envoyé (anglais)"), blank=True)
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(_("proposé"), default=True)

    class Meta:
        ordering = ["order", "label"]
        verbose_name = _("motif de refus")
        verbose_name_plural = _("motifs de refus")

    def __str__(self) -> str:
        return self.label

    def text_for(self, language: str) -> str:
        return self.text_en if language.startswith("en") and self.text_en else self.text


class PublicationRhythm(models.Model):
    """The steady publishing rhythm (one row): which weekdays, at what time, how many a day."""

    weekdays = models.CharField(
        _("jours de publication"),
        max_length=7,
        default="01234",
        validators=[RegexValidator(r"^[0-6]{1,7}$", _("Indiquez des chiffres de 0 à 6."))],
        help_text=_("0 = lundi … 6 = dimanche ; « 01234 » : du lundi au vendredi."),
    )
    time_of_day = models.TimeField(_("heure de publication"), default=datetime.time(10, 0))
    per_day = models.PositiveSmallIntegerField(_("témoignages par jour"), default=1)

    class Meta:
        verbose_name = _("rythme de publication")
        verbose_name_plural = _("rythme de publication")

    def __str__(self) -> str:
        return str(_("Rythme de publication"))

    @property
    def weekday_numbers(self) -> list[int]:
        return sorted({int(c) for c in self.weekdays if c in "0123456"})


class SpeechState(models.TextChoices):
    """Where a testimonial's automatic speech drafts are (issue 19, docs/speech.md)."""

    NONE = "none", _("aucun")
    PENDING = "pending", _("transcription en cours")
    SKIPPED = "skipped", _("ignoré")
    FAILED = "failed", _("échec")
    DRAFT = "draft", _("brouillon automatique")
    REVIEWED = "reviewed", _("relu")


class SpeechDraft(models.Model):
    """Drafts a speech model made of a testimonial: captions, transcript, quotes (personal
    data: erased with the testimonial). Nothing here is public; a moderator's acceptance
    copies the captions through the captions service (`ambassadors.services.speech_desk`)."""

    testimonial = models.OneToOneField(
        Testimonial, on_delete=models.CASCADE, related_name="speech_draft", primary_key=True
    )
    state = models.CharField(
        _("brouillon de sous-titres"),
        max_length=10,
        choices=SpeechState.choices,
        default=SpeechState.NONE,
    )
    message = models.TextField(_("message pour l'équipe"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    language = models.CharField(_("langue"), max_length=8, blank=True)
    language_detected = models.BooleanField(_("langue détectée"), default=False)
    captions_vtt = models.TextField(_("sous-titres (brouillon)"), blank=True)
    transcript = models.TextField(_("transcription (brouillon)"), blank=True)
    quotes = models.JSONField(_("citations suggérées"), default=list, blank=True)
    model_name = models.CharField(_("modèle"), max_length=200, blank=True)
    timings = models.JSONField(_("durées"), default=dict, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("relu par"),
    )
    reviewed_at = models.DateTimeField(_("relu le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("brouillon de sous-titres")
        verbose_name_plural = _("brouillons de sous-titres")

    def __str__(self) -> str:
        return f"{self.testimonial_id} ({self.state})"
