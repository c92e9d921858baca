"""The moderation admin: the review queue, one testimonial's review page, the decisions.

The admin only parses input and calls `ambassadors.services.moderation`; the status only
moves through `testimonial_transition`. Unpublished media are shown through short-lived
signed URLs (`onprovence.storage.private_url`), never a public one.
"""

import datetime
import json
import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from onprovence.storage import private_url

from . import keys, selectors
from .models import (
    CONSENT_TEXT_LOCKED_FIELDS,
    ConsentRecord,
    ConsentText,
    PublicationRhythm,
    RejectionReason,
    Status,
    Testimonial,
    TestimonialEvent,
)
from .services import consent, moderation
from .services.status import InvalidTransition

# The review queue link (admin index, calendar) and the statuses that have renditions.
QUEUE_QUERY = f"?status__exact={Status.IN_REVIEW}"
WITH_MEDIA = {Status.IN_REVIEW, Status.APPROVED, Status.PUBLISHED, Status.REJECTED}
SIGNED_URL_SECONDS = 15 * 60

# The pipeline's automatic checks (DESIGN §5.4); an unknown code is shown as it is.
FLAG_LABELS = {
    "silence": _("silence"),
    "silent": _("silence"),
    "black": _("image noire"),
    "black_video": _("image noire"),
    "frozen": _("image figée"),
    "frozen_video": _("image figée"),
    "short": _("trop court"),
    "too_short": _("trop court"),
    "duplicate": _("doublon"),
    "near_duplicate": _("quasi-doublon"),
}

admin.site.index_template = "ambassadors/admin/index.html"


def flag_code(flag: Any) -> str:
    if isinstance(flag, dict):
        return str(flag.get("code") or flag.get("kind") or flag.get("name") or flag)
    return str(flag)


def flag_label(flag: Any) -> str:
    """The pipeline's own label when it gives one (French), else ours, with its detail."""
    code = flag_code(flag)
    label = flag.get("label") if isinstance(flag, dict) else None
    label = label or str(FLAG_LABELS.get(code, code.replace("_", " ")))
    detail = flag.get("detail") or flag.get("message") if isinstance(flag, dict) else ""
    return f"{label} ({detail})" if detail else label


# --- Change list filters -------------------------------------------------------------------------


class FlagFilter(admin.SimpleListFilter):
    title = _("signalements automatiques")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        codes = dict.fromkeys(code for code in FLAG_LABELS if code in self._canonical)
        return [("any", _("au moins un")), ("none", _("aucun"))] + [
            (code, FLAG_LABELS[code]) for code in codes
        ]

    _canonical = ("silence", "black", "frozen", "short", "duplicate", "near_duplicate")

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "none":
            return queryset.filter(flags=[])
        if value == "any":
            return queryset.exclude(flags=[])
        # A text search in the JSON works on PostgreSQL and SQLite, for "code" or {"code": …}.
        aliases = [code for code, label in FLAG_LABELS.items() if label == FLAG_LABELS[value]]
        flags_text = Cast("flags", TextField())
        matching = queryset.none()
        for alias in aliases:
            matching |= queryset.alias(flags_text=flags_text).filter(
                flags_text__contains=f'"{alias}"'
            )
        return matching


class DurationFilter(admin.SimpleListFilter):
    title = _("durée")
    parameter_name = "duration"
    RANGES = {"lt30": (None, 30), "30to60": (30, 60), "60to90": (60, 90), "gt90": (90, None)}

    def lookups(self, request, model_admin):
        return [
            ("lt30", _("moins de 30 s")),
            ("30to60", _("30 à 60 s")),
            ("60to90", _("60 à 90 s")),
            ("gt90", _("plus de 90 s")),
        ]

    def queryset(self, request, queryset):
        if self.value() not in self.RANGES:
            return queryset
        low, high = self.RANGES[self.value()]
        if low is not None:
            queryset = queryset.filter(duration__gte=low)
        if high is not None:
            queryset = queryset.filter(duration__lt=high)
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = _("ancienneté dans le statut")
    parameter_name = "age"
    DAYS = {"lt1": (None, 1), "1to3": (1, 3), "gt3": (3, None)}

    def lookups(self, request, model_admin):
        return [
            ("lt1", _("moins d'un jour")),
            ("1to3", _("1 à 3 jours")),
            ("gt3", _("plus de 3 jours")),
        ]

    def queryset(self, request, queryset):
        if self.value() not in self.DAYS:
            return queryset
        now = timezone.now()
        low, high = self.DAYS[self.value()]
        if low is not None:
            queryset = queryset.filter(status_changed_at__lte=now - datetime.timedelta(days=low))
        if high is not None:
            queryset = queryset.filter(status_changed_at__gt=now - datetime.timedelta(days=high))
        return queryset


class MinorFilter(admin.SimpleListFilter):
    title = _("Mineur")
    parameter_name = "mineur"

    def lookups(self, request, model_admin):
        return [("oui", _("oui")), ("non", _("non"))]

    def queryset(self, request, queryset):
        if self.value() == "oui":
            return queryset.filter(consent__is_minor=True)
        if self.value() == "non":
            return queryset.exclude(consent__is_minor=True)
        return queryset


def parent_state(testimonial: Testimonial) -> str:
    """A minor's parent confirmation in words ("" for an adult), for the moderation pages."""
    record = getattr(testimonial, "consent", None)
    if record is None or not record.is_minor:
        return ""
    if record.parent_confirmed_at is not None:
        return gettext("accord parental : confirmé le %(when)s") % {
            "when": timezone.localtime(record.parent_confirmed_at).strftime("%d/%m/%Y %H:%M")
        }
    return gettext("accord parental : en attente (relancé %(count)s fois)") % {
        "count": record.parent_reminders_sent
    }


# --- The testimonial form: what moderators may edit ---------------------------------------------


class TestimonialForm(forms.ModelForm):
    captions_file = forms.FileField(
        label=_("Fichier de sous-titres (WebVTT)"),
        required=False,
        help_text=_("Un fichier .vtt remplace les sous-titres ci-dessous."),
    )
    captions_text = forms.CharField(
        label=_("Sous-titres (WebVTT)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 70, "class": "vtt-editor"}),
        help_text=_(
            "Une ligne « WEBVTT », puis pour chaque sous-titre : une ligne "
            "« 00:00:01.000 --> 00:00:04.000 » et son texte, séparés par une ligne vide. "
            "Videz le champ pour supprimer les sous-titres."
        ),
    )

    class Meta:
        model = Testimonial
        fields = list(moderation.EDITABLE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.has_captions:
            self.initial["captions_text"] = moderation.testimonial_captions_text(
                testimonial_id=self.instance.pk
            )

    def clean_captions_file(self):
        upload = self.cleaned_data.get("captions_file")
        if upload:
            if upload.size > moderation.MAX_CAPTIONS_BYTES:
                raise ValidationError(_("Le fichier de sous-titres dépasse 100 Ko."))
            return moderation.captions_validate(upload.read())
        return None

    def clean_captions_text(self):
        text = self.cleaned_data.get("captions_text", "")
        return moderation.captions_validate(text) if text.strip() else ""

    def captions_change(self) -> str | None:
        """The new captions text ("" removes them), or None when they did not change."""
        if self.cleaned_data.get("captions_file"):
            return self.cleaned_data["captions_file"]
        new = self.cleaned_data.get("captions_text", "")
        old = (self.initial.get("captions_text") or "").replace("\r\n", "\n").strip()
        return None if new.strip() == old else new


class TestimonialEventInline(admin.TabularInline):
    model = TestimonialEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "actor", "actor_label", "note"]
    readonly_fields = fields
    verbose_name_plural = _("historique complet")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("ambassadors.view_testimonial")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


# --- Moderation action forms (one page for a single testimonial or a selection) -----------------


class ApproveForm(forms.Form):
    publish_at = forms.SplitDateTimeField(
        label=_("publication le"),
        required=False,
        widget=forms.SplitDateTimeWidget(date_attrs={"type": "date"}, time_attrs={"type": "time"}),
        help_text=_("Vide : les prochains créneaux libres du rythme de publication."),
    )
    note = forms.CharField(label=_("note interne"), required=False, max_length=500)


class RejectForm(forms.Form):
    reason = forms.ModelChoiceField(
        label=_("motif"),
        queryset=RejectionReason.objects.filter(is_active=True),
        required=False,
        empty_label=_("— aucun modèle —"),
    )
    details = forms.CharField(
        label=_("précisions envoyées au résident"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Écrites dans la langue du résident ; ajoutées après le texte du motif."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("reason") and not (data.get("details") or "").strip():
            raise ValidationError(_("Choisissez un motif ou écrivez-le."))
        return data


class ScheduleForm(forms.Form):
    publish_at = forms.SplitDateTimeField(
        label=_("publication le"),
        required=False,
        widget=forms.SplitDateTimeWidget(date_attrs={"type": "date"}, time_attrs={"type": "time"}),
        help_text=_("Vide : les prochains créneaux libres du rythme de publication."),
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note interne"), required=False, max_length=500)


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("note interne"),
        required=False,
        max_length=500,
        help_text=_(
            "Le refus est annulé et le témoignage revient dans la file. Le résident n'est pas "
            "prévenu maintenant : il recevra l'e-mail de la prochaine décision."
        ),
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Je confirme : la vidéo et les données personnelles seront effacées."),
        required=True,
    )
    note = forms.CharField(label=_("motif (historique)"), required=False, max_length=500)


ACTIONS = {
    # name: (title, form, permission, statuses it applies to)
    "approve": (_("Approuver"), ApproveForm, "moderate", {Status.IN_REVIEW}),
    "reject": (_("Refuser"), RejectForm, "moderate", {Status.IN_REVIEW, Status.APPROVED}),
    "reopen": (_("Remettre en modération"), ReopenForm, "moderate", {Status.REJECTED}),
    "schedule": (_("Programmer la publication"), ScheduleForm, "moderate", {Status.APPROVED}),
    "publish_now": (_("Publier maintenant"), forms.Form, "moderate", {Status.APPROVED}),
    "feature": (_("Mettre à la une"), forms.Form, "moderate", set(Status) - {Status.ERASED}),
    "unfeature": (_("Retirer de la une"), forms.Form, "moderate", set(Status) - {Status.ERASED}),
    "unpublish": (_("Dépublier"), NoteForm, "moderate", {Status.PUBLISHED}),
    "erase": (_("Effacer"), ConfirmForm, "erase", set(Status) - {Status.ERASED}),
}

# What the moderator reads once an action is done, when the generic line would mislead: a
# publication asked now is done by the worker a few seconds later.
DONE_MESSAGE = gettext_noop("%(action)s : %(count)s témoignage(s).")
DONE_MESSAGES = {
    "publish_now": gettext_noop(
        "Publication en cours… (%(count)s témoignage(s)) : la page les montre publiés "
        "d'ici quelques secondes."
    ),
}


@admin.register(Testimonial)
class TestimonialAdmin(admin.ModelAdmin):
    form = TestimonialForm
    list_display = [
        "poster_thumbnail",
        "name",
        "minor_display",
        "age_in_status",
        "commune",
        "sector",
        "placement_name",
        "duration_display",
        "flags_display",
        "status",
    ]
    list_display_links = ["poster_thumbnail", "name"]
    list_filter = [
        "status",
        "sector",
        "placement",
        "commune",
        DurationFilter,
        FlagFilter,
        AgeFilter,
        MinorFilter,
        "language",
        "featured",
    ]
    list_select_related = ["sector", "placement", "consent"]
    search_fields = [
        "display_name",
        "first_name",
        "last_name",
        "email",
        "commune",
        "job_title",
        "quote",
        "tags",
    ]
    list_per_page = 50
    view_on_site = False
    inlines = [TestimonialEventInline]
    actions = [
        "approve_selected",
        "reject_selected",
        "reopen_selected",
        "schedule_selected",
        "publish_now_selected",
        "feature_selected",
        "unpublish_selected",
        "erase_selected",
        "add_to_kit_selected",
    ]
    fieldsets = [
        (_("Vidéo"), {"fields": ["video_player", "flags_detail", "probe_facts"]}),
        (
            _("Ce que le public voit"),
            {
                "fields": [
                    "display_name",
                    "quote",
                    "sector",
                    "tags",
                    "featured",
                    "captions_file",
                    "captions_text",
                ]
            },
        ),
        (
            _("Statut et publication"),
            {
                "fields": [
                    "status",
                    "minor_display",
                    "status_changed_at",
                    "publish_at",
                    "published_at",
                    "public_link",
                    "rejection_reason",
                ]
            },
        ),
        (
            _("Résident"),
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "email",
                    "commune",
                    "job_title",
                    "resident_language",
                    "placement",
                    "created_at",
                ]
            },
        ),
        (_("Réseaux sociaux"), {"fields": ["social_posts"]}),
        (_("Consentement (lecture seule)"), {"fields": ["consent_summary"]}),
    ]
    readonly_fields = [
        "video_player",
        "flags_detail",
        "probe_facts",
        "featured",
        "status",
        "minor_display",
        "status_changed_at",
        "publish_at",
        "published_at",
        "public_link",
        "rejection_reason",
        "first_name",
        "last_name",
        "email",
        "commune",
        "job_title",
        "resident_language",
        "placement",
        "created_at",
        "consent_summary",
        "social_posts",
    ]

    class Media:
        css = {"all": ["ambassadors/admin/moderation.css"]}

    # --- Permissions: testimonials come from residents and leave by erasure only ---

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm("ambassadors.moderate_testimonial")

    def has_erase_permission(self, request) -> bool:
        return request.user.has_perm("ambassadors.erase_testimonial")

    # --- Change list ---

    def _is_queue(self, request) -> bool:
        return request.GET.get("status__exact") == Status.IN_REVIEW

    def get_list_display(self, request):
        # In the queue every row is "à modérer": the column would only take room.
        if self._is_queue(request):
            return [name for name in self.list_display if name != "status"]
        return self.list_display

    def changelist_view(self, request, extra_context=None):
        if self._is_queue(request):
            extra_context = {
                **(extra_context or {}),
                "title": gettext("File de modération — les plus anciens d'abord"),
            }
        return super().changelist_view(request, extra_context)

    def get_ordering(self, request):
        # The review queue is worked oldest first; other lists show the newest first.
        if self._is_queue(request):
            return ["status_changed_at", "pk"]
        return ["-created_at"]

    @admin.display(description=_("affiche"))
    def poster_thumbnail(self, obj: Testimonial) -> str:
        if obj.status not in WITH_MEDIA:
            return "—"
        return format_html(
            '<img class="moderation-thumb" src="{}" alt="" width="80" height="45" loading="lazy">',
            private_url(keys.testimonial_key(obj.pk, keys.POSTER_JPEG), expires=SIGNED_URL_SECONDS),
        )

    @admin.display(description=_("nom affiché"), ordering="display_name")
    def name(self, obj: Testimonial) -> str:
        if obj.display_name:
            return obj.display_name
        return format_html('<span class="moderation-muted">{}</span>', str(obj))

    @admin.display(description=_("emplacement QR"), ordering="placement__place_name")
    def placement_name(self, obj: Testimonial) -> str:
        return obj.placement.place_name if obj.placement else "—"

    @admin.display(description=_("durée"), ordering="duration")
    def duration_display(self, obj: Testimonial) -> str:
        if obj.duration is None:
            return "—"
        seconds = round(obj.duration)
        return f"{seconds // 60}:{seconds % 60:02d}"

    @admin.display(description=_("signalements"))
    def flags_display(self, obj: Testimonial) -> str:
        if not obj.flags:
            return "—"
        return format_html_join(
            " ", '<span class="moderation-flag">{}</span>', ((flag_label(f),) for f in obj.flags)
        )

    @admin.display(description=_("depuis"), ordering="status_changed_at")
    def age_in_status(self, obj: Testimonial) -> str:
        return timesince(obj.status_changed_at, depth=1)

    @admin.display(description=_("mineur"))
    def minor_display(self, obj: Testimonial) -> str:
        state = parent_state(obj)
        if not state:
            return "—"
        return format_html(
            '<span class="moderation-minor">{}</span> <span class="moderation-parent">{}</span>',
            gettext("mineur"),
            state,
        )

    # --- Change page ---

    @admin.display(description=_("vidéo de modération"))
    def video_player(self, obj: Testimonial) -> str:
        if obj.status not in WITH_MEDIA:
            return gettext("Pas encore de vidéo à regarder (statut : %(status)s).") % {
                "status": obj.get_status_display()
            }
        web = private_url(keys.testimonial_key(obj.pk, keys.WEB), expires=SIGNED_URL_SECONDS)
        poster = private_url(
            keys.testimonial_key(obj.pk, keys.POSTER_JPEG), expires=SIGNED_URL_SECONDS
        )
        track = ""
        if obj.has_captions:
            track = format_html(
                '<track kind="captions" src="{}" srclang="{}" label="{}" default>',
                reverse("admin:ambassadors_testimonial_captions", args=[obj.pk]),
                obj.language,
                gettext("Sous-titres"),
            )
        return format_html(
            '<video class="moderation-player" controls preload="metadata" playsinline '
            'src="{}" poster="{}">{}</video>',
            web,
            poster,
            track,
        )

    @admin.display(description=_("signalements automatiques"))
    def flags_detail(self, obj: Testimonial) -> str:
        if not obj.flags:
            return gettext("Aucun")
        return self.flags_display(obj)

    @admin.display(description=_("analyse technique"))
    def probe_facts(self, obj: Testimonial) -> str:
        facts = []
        if obj.duration is not None:
            facts.append((gettext("durée"), f"{obj.duration:.1f} s"))
        if obj.original_size:
            facts.append((gettext("taille"), f"{obj.original_size / 1_000_000:.1f} Mo"))
        facts += _flatten(obj.probe)
        if not facts:
            return "—"
        return format_html(
            '<dl class="moderation-facts">{}</dl>',
            format_html_join("", "<dt>{}</dt><dd>{}</dd>", facts),
        )

    @admin.display(description=_("page publique"))
    def public_link(self, obj: Testimonial) -> str:
        if obj.status != Status.PUBLISHED:
            return "—"
        return format_html('<a href="{0}">{0}</a>', obj.get_absolute_url())

    @admin.display(description=_("langue du résident"))
    def resident_language(self, obj: Testimonial) -> str:
        return {"fr": gettext("français"), "en": gettext("anglais")}.get(
            obj.language[:2], obj.language
        )

    @admin.display(description=_("publication suggérée (réseaux sociaux)"))
    def social_posts(self, obj: Testimonial) -> str:
        if obj.status not in (Status.APPROVED, Status.PUBLISHED):
            return gettext("Proposée une fois le témoignage approuvé.")
        labels = {"fr": gettext("français"), "en": gettext("anglais")}
        return format_html_join(
            "",
            '<div class="moderation-social-post"><p><strong>{}</strong></p>'
            '<textarea readonly rows="9" cols="70" lang="{}">{}</textarea></div>',
            (
                (labels[language], language, text)
                for language, text in moderation.social_post_texts(obj).items()
            ),
        )

    @admin.display(description=_("preuve de consentement"))
    def consent_summary(self, obj: Testimonial) -> str:
        record = getattr(obj, "consent", None)
        if record is None:
            return gettext("Aucune preuve de consentement enregistrée.")
        return consent_proof_html(record)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["moderation_actions"] = self._actions_for(request, obj)
            context["parent_state"] = parent_state(obj)
            context["social_pack_url"] = (
                reverse("admin:ambassadors_testimonial_social_pack", args=[obj.pk])
                if obj.status in (Status.APPROVED, Status.PUBLISHED)
                else None
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _actions_for(self, request, obj: Testimonial) -> list[tuple[str, str, str]]:
        found = []
        for name, (title, _form, permission, statuses) in ACTIONS.items():
            if obj.status not in statuses:
                continue
            if (name == "feature" and obj.featured) or (name == "unfeature" and not obj.featured):
                continue
            if not getattr(self, f"has_{permission}_permission")(request):
                continue
            url = reverse("admin:ambassadors_testimonial_moderate", args=[name])
            found.append((name, str(title), f"{url}?ids={obj.pk}"))
        return found

    def save_model(self, request, obj, form, change) -> None:
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in moderation.EDITABLE_FIELDS
        }
        if changes:
            moderation.testimonial_edit(testimonial_id=obj.pk, actor=request.user, changes=changes)
        captions = form.captions_change()
        if captions is not None:
            moderation.testimonial_captions_set(
                testimonial_id=obj.pk, actor=request.user, text=captions
            )

    # --- Bulk actions: each opens the same page as the single-testimonial buttons ---

    def _to_action_page(self, request, queryset: QuerySet, name: str) -> HttpResponseRedirect:
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        url = reverse("admin:ambassadors_testimonial_moderate", args=[name])
        back = request.get_full_path()
        return HttpResponseRedirect(f"{url}?ids={ids}&next={_quote(back)}")

    @admin.action(description=_("Approuver"), permissions=["moderate"])
    def approve_selected(self, request, queryset):
        return self._to_action_page(request, queryset, "approve")

    @admin.action(description=_("Refuser"), permissions=["moderate"])
    def reject_selected(self, request, queryset):
        return self._to_action_page(request, queryset, "reject")

    @admin.action(description=_("Remettre en modération"), permissions=["moderate"])
    def reopen_selected(self, request, queryset):
        return self._to_action_page(request, queryset, "reopen")

    @admin.action(description=_("Programmer la publication"), permissions=["moderate"])
    def schedule_selected(self, request, queryset):
        return self._to_action_page(request, queryset, "schedule")

    @admin.action(description=_("Publier maintenant"), permissions=["moderate"])
    def publish_now_selected(self, request, queryset):
        return self._to_action_page(request, queryset, "publish_now")

    @admin.action(description=_("Mettre à la une"), permissions=["moderate"])
    def feature_selected(self, request, queryset):
        return self._to_action_page(request, queryset, "feature")

    @admin.action(description=_("Dépublier"), permissions=["moderate"])
    def unpublish_selected(self, request, queryset):
        return self._to_action_page(request, queryset, "unpublish")

    @admin.action(description=_("Effacer (vidéo et données)"), permissions=["erase"])
    def erase_selected(self, request, queryset):
        return self._to_action_page(request, queryset, "erase")

    @admin.action(description=_("Ajouter au kit employeur"), permissions=["add_to_kit"])
    def add_to_kit_selected(self, request, queryset):
        # The kit owns what a kit asset is; it refuses what is unpublished or outside consent.
        from employer_kit.services import TestimonialNotUsable, kit_asset_from_testimonial

        for testimonial_id in queryset.values_list("pk", flat=True):
            try:
                asset = kit_asset_from_testimonial(testimonial_id=testimonial_id)
            except TestimonialNotUsable as exc:
                self.message_user(request, str(exc), level=messages.WARNING)
            else:
                self.message_user(
                    request, _("« %(title)s » ajouté au kit.") % {"title": asset.title}
                )

    def has_add_to_kit_permission(self, request) -> bool:
        return request.user.has_perm("employer_kit.add_kitasset")

    # --- Extra admin pages ---

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "moderate/<str:action>/",
                wrap(self.moderate_view),
                name="ambassadors_testimonial_moderate",
            ),
            path(
                "calendar/",
                wrap(self.calendar_view),
                name="ambassadors_testimonial_calendar",
            ),
            path(
                "<uuid:testimonial_id>/social-pack/",
                wrap(self.social_pack_view),
                name="ambassadors_testimonial_social_pack",
            ),
            path(
                "<uuid:testimonial_id>/captions.vtt",
                wrap(self.captions_view),
                name="ambassadors_testimonial_captions",
            ),
            *super().get_urls(),
        ]

    def moderate_view(self, request: HttpRequest, action: str) -> HttpResponse:
        """Confirm and apply one moderation action to one or more testimonials."""
        if action not in ACTIONS:
            raise PermissionDenied
        title, form_class, permission, statuses = ACTIONS[action]
        if not getattr(self, f"has_{permission}_permission")(request):
            raise PermissionDenied
        ids = _parse_ids(request.POST.get("ids") or request.GET.get("ids", ""))
        testimonials = list(
            Testimonial.objects.filter(pk__in=ids)
            .select_related("sector", "consent")
            .order_by("status_changed_at")
        )
        for testimonial in testimonials:
            testimonial.parent_state = parent_state(testimonial)
        back = _safe_next(request, reverse("admin:ambassadors_testimonial_changelist"))
        if len(testimonials) == 1 and "next" not in request.GET and "next" not in request.POST:
            back = reverse("admin:ambassadors_testimonial_change", args=[testimonials[0].pk])
        applicable = [t for t in testimonials if t.status in statuses]
        if not applicable:
            self.message_user(
                request,
                gettext("« %(action)s » ne s'applique à aucun des témoignages choisis.")
                % {"action": title},
                messages.WARNING,
            )
            return HttpResponseRedirect(back)
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            done, failures = self._apply(request, action, applicable, form.cleaned_data)
            if done:
                message = DONE_MESSAGES.get(action, DONE_MESSAGE)
                self.message_user(
                    request,
                    gettext(message) % {"action": title, "count": done},
                    messages.SUCCESS,
                )
            for failure in failures:
                self.message_user(request, failure, messages.ERROR)
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "action": action,
            "form": form,
            "testimonials": applicable,
            "skipped": [t for t in testimonials if t not in applicable],
            "ids": ",".join(str(t.pk) for t in applicable),
            "back": back,
            "next": request.GET.get("next", ""),
        }
        if action in ("approve", "schedule"):
            context["proposed_slots"] = selectors.publication_free_slots(
                count=len(applicable), exclude=[t.pk for t in applicable]
            )
        return TemplateResponse(request, "ambassadors/admin/moderate.html", context)

    def _apply(self, request, action: str, testimonials: list[Testimonial], data: dict):
        done, failures = 0, []
        slots: list[datetime.datetime] = []
        if action in ("approve", "schedule") and not data.get("publish_at"):
            slots = selectors.publication_free_slots(
                count=len(testimonials), exclude=[t.pk for t in testimonials]
            )
        for index, testimonial in enumerate(testimonials):
            publish_at = data.get("publish_at") or (slots[index] if index < len(slots) else None)
            try:
                self._apply_one(request, action, testimonial, data, publish_at)
            except (InvalidTransition, moderation.ModerationError) as error:
                failures.append(f"{testimonial} : {error}")
                continue
            done += 1
        return done, failures

    def _apply_one(self, request, action, testimonial, data, publish_at) -> None:
        user, pk = request.user, testimonial.pk
        if action == "approve":
            moderation.testimonial_approve(
                testimonial_id=pk, actor=user, publish_at=publish_at, note=data.get("note", "")
            )
        elif action == "reject":
            moderation.testimonial_reject(
                testimonial_id=pk, actor=user, reason=data.get("reason"), details=data["details"]
            )
        elif action == "reopen":
            moderation.testimonial_reopen(testimonial_id=pk, actor=user, note=data["note"])
        elif action == "schedule":
            if publish_at is None:
                raise moderation.ModerationError(
                    gettext("Le rythme de publication n'offre aucun créneau : choisissez une date.")
                )
            moderation.testimonial_schedule(testimonial_id=pk, actor=user, publish_at=publish_at)
        elif action == "publish_now":
            moderation.testimonial_publish_now(testimonial_id=pk, actor=user)
        elif action in ("feature", "unfeature"):
            moderation.testimonial_feature(
                testimonial_id=pk, actor=user, featured=action == "feature"
            )
        elif action == "unpublish":
            moderation.testimonial_unpublish(testimonial_id=pk, actor=user, note=data["note"])
        elif action == "erase":
            moderation.testimonial_erase(testimonial_id=pk, actor=user, note=data["note"])

    def calendar_view(self, request: HttpRequest) -> HttpResponse:
        """What goes out when: the publishing rhythm's days, filled and free."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            start = datetime.date.fromisoformat(request.GET.get("start", ""))
        except ValueError:
            start = timezone.localdate()
        start -= datetime.timedelta(days=start.weekday())
        days, unscheduled = selectors.publication_calendar(start=start, days=28)
        weeks = [days[index : index + 7] for index in range(0, len(days), 7)]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Calendrier de publication"),
            "weeks": weeks,
            "unscheduled": unscheduled,
            "today": timezone.localdate(),
            "rhythm": selectors.publication_rhythm(),
            "previous": start - datetime.timedelta(days=28),
            "following": start + datetime.timedelta(days=28),
            "can_change_rhythm": request.user.has_perm("ambassadors.change_publicationrhythm"),
        }
        return TemplateResponse(request, "ambassadors/admin/calendar.html", context)

    def social_pack_view(self, request: HttpRequest, testimonial_id: uuid.UUID) -> HttpResponse:
        """Download the social team's ZIP: three formats, poster, captions, a suggested post."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        testimonial = get_object_or_404(
            Testimonial.objects.select_related("sector"),
            pk=testimonial_id,
            status__in=[Status.APPROVED, Status.PUBLISHED],
        )
        try:
            archive = moderation.testimonial_social_pack(testimonial=testimonial)
        except moderation.ModerationError as error:
            self.message_user(request, str(error), messages.WARNING)
            return HttpResponseRedirect(
                reverse("admin:ambassadors_testimonial_change", args=[testimonial.pk])
            )
        response = StreamingHttpResponse(archive, content_type="application/zip")
        name = f"temoignage-{str(testimonial.pk)[:8]}-reseaux-sociaux.zip"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def captions_view(self, request: HttpRequest, testimonial_id: uuid.UUID) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        text = moderation.testimonial_captions_text(testimonial_id=testimonial_id)
        response = HttpResponse(text, content_type="text/vtt; charset=utf-8")
        response["Cache-Control"] = "private, no-store"
        return response


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """The probe's scalar facts as (label, value), nested keys joined by a dot."""
    if not isinstance(data, dict):
        return []
    facts = []
    for key, value in data.items():
        label = f"{prefix}{key}"
        if isinstance(value, dict):
            facts += _flatten(value, f"{label}.")
        elif isinstance(value, list):
            facts.append(
                (label, ", ".join(str(item) for item in value if not isinstance(item, dict)))
            )
        else:
            facts.append((label, str(value)))
    return facts[:40]


def _parse_ids(raw: str) -> list[uuid.UUID]:
    ids = []
    for part in raw.split(","):
        try:
            ids.append(uuid.UUID(part.strip()))
        except ValueError:
            continue
    return ids[:500]


def _quote(url: str) -> str:
    from urllib.parse import quote

    return quote(url, safe="")


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@admin.register(RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    list_display = ["label", "order", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["label", "text"]


@admin.register(PublicationRhythm)
class PublicationRhythmAdmin(admin.ModelAdmin):
    list_display = ["__str__", "weekdays", "time_of_day", "per_day"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not PublicationRhythm.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        # One rhythm: go straight to it.
        rhythm = PublicationRhythm.objects.order_by("pk").first()
        if rhythm is not None and self.has_view_or_change_permission(request, rhythm):
            return HttpResponseRedirect(
                reverse("admin:ambassadors_publicationrhythm_change", args=[rhythm.pk])
            )
        return super().changelist_view(request, extra_context)


def consent_proof_html(record: ConsentRecord) -> str:
    """The proof as the admin shows it: facts, choices in French with their values, the text
    shown (folded) and the export buttons."""
    local = timezone.localtime

    def export_url(fmt: str) -> str:
        return reverse("admin:ambassadors_consentrecord_export", args=[record.testimonial_ref, fmt])

    return render_to_string(
        "ambassadors/admin/consent_proof.html",
        {
            "record": record,
            "accepted_at": local(record.accepted_at).strftime("%d/%m/%Y %H:%M:%S"),
            "anonymised_at": record.anonymised_at
            and local(record.anonymised_at).strftime("%d/%m/%Y %H:%M"),
            "language": consent.LANGUAGES.get(record.text_language, record.text_language),
            "choices": consent.consent_choices_labelled(record.choices),
            "parent_state": parent_state(record.testimonial) if record.testimonial else "",
            "pdf_url": export_url("pdf"),
            "json_url": export_url("json"),
        },
    )


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    """Versions of the release. An accepted one is read-only: a new wording is a new version."""

    list_display = ["title", "version", "is_current", "accepted_count", "created_at"]
    fields = [
        "version",
        "title",
        "title_en",
        "body",
        "body_en",
        "channels",
        "duration_months",
        "is_current",
    ]
    actions = ["new_version_selected"]
    change_form_template = "ambassadors/admin/consenttext_change_form.html"

    class Media:
        css = {"all": ["ambassadors/admin/moderation.css"]}

    @admin.display(description=_("acceptations"))
    def accepted_count(self, obj: ConsentText) -> int:
        return ConsentRecord.objects.filter(consent_text=obj).count()

    def has_delete_permission(self, request, obj=None) -> bool:
        # Proofs point at an accepted version (and protect it in the database too).
        return super().has_delete_permission(request, obj) and not (obj and obj.is_accepted)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_accepted:
            return [*super().get_readonly_fields(request, obj), *CONSENT_TEXT_LOCKED_FIELDS]
        return super().get_readonly_fields(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if obj is not None:
            count = self.accepted_count(obj)
            extra_context.update(consent_locked=count > 0, accepted_count=count)
            if self.has_add_permission(request):
                extra_context["new_version_url"] = reverse(
                    "admin:ambassadors_consenttext_new_version", args=[obj.pk]
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:pk>/new-version/",
                self.admin_site.admin_view(self.new_version_view),
                name="ambassadors_consenttext_new_version",
            ),
            *super().get_urls(),
        ]

    def _new_version(self, request, source_id: int) -> ConsentText:
        created = consent.consent_text_new_version(source_id=source_id)
        self.log_addition(request, created, [{"added": {}}])
        self.message_user(
            request,
            gettext(
                "Nouvelle version « %(new)s » créée à partir de la version %(old)s : modifiez-la, "
                "puis cochez « en vigueur » pour la présenter aux résidents."
            )
            % {"new": created.version, "old": ConsentText.objects.get(pk=source_id).version},
        )
        return created

    def new_version_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self.has_add_permission(request):
            raise PermissionDenied
        source = get_object_or_404(ConsentText, pk=pk)
        created = self._new_version(request, source.pk)
        return HttpResponseRedirect(
            reverse("admin:ambassadors_consenttext_change", args=[created.pk])
        )

    @admin.action(
        description=_("Créer une nouvelle version à partir de celle-ci"), permissions=["add"]
    )
    def new_version_selected(self, request, queryset):
        for source_id in queryset.values_list("pk", flat=True):
            self._new_version(request, source_id)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["testimonial_ref", "text_version", "accepted_at", "is_minor", "anonymised_at"]
    list_filter = ["text_version", "text_language", "is_minor"]
    search_fields = ["=testimonial_ref"]
    # Shown in the proof section below, in French and folded.
    exclude = ["choices", "text_shown", "text_sha256", "text_language"]
    readonly_fields = ["proof"]

    class Media:
        css = {"all": ["ambassadors/admin/moderation.css"]}

    @admin.display(description=_("preuve"))
    def proof(self, obj: ConsentRecord) -> str:
        return consent_proof_html(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "proof/<uuid:testimonial_ref>/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name="ambassadors_consentrecord_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, testimonial_ref: uuid.UUID, fmt: str):
        """Download one testimonial's proof of consent as PDF or JSON."""
        if not self.has_view_permission(request) or fmt not in ("pdf", "json"):
            raise PermissionDenied
        try:
            if fmt == "pdf":
                data = consent.consent_proof_pdf(testimonial_ref=testimonial_ref)
                content_type = "application/pdf"
            else:
                proof = consent.consent_proof_export(testimonial_ref=testimonial_ref)
                data = json.dumps(proof, ensure_ascii=False, indent=2).encode()
                content_type = "application/json; charset=utf-8"
        except consent.ConsentProofNotFound as error:
            raise Http404(gettext("Aucune preuve de consentement enregistrée.")) from error
        response = HttpResponse(data, content_type=content_type)
        name = f"preuve-consentement-{testimonial_ref}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
