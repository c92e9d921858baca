"""The moderation admin: the review queue and one testimonial's review page.

The admin only parses input and calls the moderation services; the status only moves through
`testimonial_transition`. Unpublished media are shown through short-lived signed URLs
(`queue.media_url`), never a public one. Its decisions are the registry's (`actions.py`), its
change list the `ReviewQueueMixin`'s (`queue.py`), its extra pages the `ModerationViewsMixin`'s
(`moderation_views.py`), the history inline `history.py`'s.
"""

from typing import Any

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import keys
from ..models import Status, Testimonial
from ..services.audit import ModerationError
from ..services.captions import testimonial_captions_set
from ..services.decisions import EDITABLE_FIELDS, testimonial_edit
from ..services.social import social_post_texts
from ..services.speech_desk import SpeechDraftError, speech_draft_accept
from .actions import actions_offered
from .consent import consent_proof_html
from .display import flag_badges, parent_state, video_summary
from .filters import AgeFilter, DurationFilter, FlagFilter, MinorFilter
from .forms import TestimonialForm
from .history import TestimonialEventInline
from .moderation_views import ModerationViewsMixin, review_desk
from .queue import WITH_MEDIA, ReviewQueueMixin, has_poster, media_url
from .speech import speech_draft_html, speech_rerun_url


@admin.register(Testimonial)
class TestimonialAdmin(ModerationViewsMixin, ReviewQueueMixin, admin.ModelAdmin):
    form = TestimonialForm
    # Narrow enough for a 1366 px screen with the admin's side menu open: the flags come right
    # after the name, where, origin (commune, sector, QR placement) share one column.
    list_display = [
        "poster_thumbnail",
        "name",
        "flags_display",
        "minor_display",
        "age_in_status",
        "duration_display",
        "origin",
        "status",
    ]
    list_display_links = ["name"]
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
    # The change list's actions are the registry's (`get_actions`).
    actions = ()
    fieldsets = [
        (
            _("Vidéo"),
            {
                "fields": ["video_player", "video_summary", "probe_facts"],
                "classes": ["moderation-video-set"],
            },
        ),
        (
            _("Ce que le public voit"),
            {
                "fields": [
                    "display_name",
                    "quote",
                    "sector",
                    "tags",
                    "featured",
                    "speech_draft_panel",
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
    # Everything shown is read-only except what the form edits.
    readonly_fields = [
        name
        for _title, options in fieldsets
        for name in options["fields"]
        if name not in (*EDITABLE_FIELDS, *TestimonialForm.declared_fields)
    ]

    change_form_template = "ambassadors/admin/review.html"
    change_list_template = "ambassadors/admin/queue.html"

    class Media:
        css = {"all": ["ambassadors/admin/moderation.css"]}
        js = ["ambassadors/admin/desk.js", "ambassadors/admin/speech-draft.js"]

    # --- Permissions: testimonials come from residents and leave by erasure only ---

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # --- Change page ---

    @admin.display(description=_("vidéo de modération"))
    def video_player(self, obj: Testimonial) -> str:
        if obj.status not in WITH_MEDIA:
            waiting = gettext("Pas encore de vidéo à regarder (statut : %(status)s).") % {
                "status": obj.get_status_display()
            }
            if not has_poster(obj):
                return waiting
            # Processing with its early poster: the frame now, the video when the pass ends.
            return format_html(
                '{}<br><img class="moderation-player" src="{}" alt="">',
                waiting,
                media_url(obj, keys.POSTER_JPEG),
            )
        web, poster = media_url(obj, keys.WEB), media_url(obj, keys.POSTER_JPEG)
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

    @admin.display(description=_("en bref"))
    def video_summary(self, obj: Testimonial) -> str:
        """Durée, orientation, qualité d'image, son, signalements: in words."""
        # An early poster alone (processing) is not a probe to sum up yet.
        if obj.status not in WITH_MEDIA and not set(obj.probe or {}) - {"poster_early"}:
            return "—"
        lines = format_html_join("", "<dt>{}</dt><dd>{}</dd>", video_summary(obj))
        badges = flag_badges(obj.flags) if obj.flags else ""
        return format_html(
            '<dl class="moderation-summary">{}</dl>{}',
            lines,
            format_html('<p class="moderation-summary__flags">{}</p>', badges) if badges else "",
        )

    @admin.display(description=_("analyse technique"))
    def probe_facts(self, obj: Testimonial) -> str:
        """The pipeline's raw facts, folded away: for the technical team."""
        facts = _flatten(obj.probe)
        if not facts:
            return "—"
        return format_html(
            '<details class="moderation-raw"><summary>{}</summary>'
            '<dl class="moderation-facts">{}</dl></details>',
            gettext("Détails techniques (%(count)s valeurs, pour l'équipe technique)")
            % {"count": len(facts)},
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
                for language, text in social_post_texts(obj).items()
            ),
        )

    @admin.display(description=_("sous-titres automatiques"))
    def speech_draft_panel(self, obj: Testimonial) -> str:
        """The speech model's drafts (issue 19): their state in words, the draft captions to
        load into the cue editor, the transcript folded, the suggested quotes."""
        return speech_draft_html(
            obj,
            getattr(obj, "desk_user", None),
            draft_used=getattr(obj, "desk_speech_draft_used", False),
        )

    @admin.display(description=_("preuve de consentement"))
    def consent_summary(self, obj: Testimonial) -> str:
        record = getattr(obj, "consent", None)
        if record is None:
            return gettext("Aucune preuve de consentement enregistrée.")
        return consent_proof_html(record)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            # The speech panel (a read-only field, rendered from `obj`) offers what this user
            # may do.
            obj.desk_user = request.user
            # A page shown again after an error keeps "the draft was loaded into the editor".
            adminform = context.get("adminform")
            obj.desk_speech_draft_used = bool(
                adminform is not None and adminform.form.data.get("speech_draft_used")
            )
            context["speech_rerun_url"] = speech_rerun_url(request.user, obj)
            context["moderation_actions"] = actions_offered(request.user, obj)
            context["parent_state"] = parent_state(obj)
            context["desk"] = review_desk(request, obj)
            context["social_pack_url"] = (
                reverse("admin:ambassadors_testimonial_social_pack", args=[obj.pk])
                if obj.status in (Status.APPROVED, Status.PUBLISHED)
                else None
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change) -> None:
        changes = {
            name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS
        }
        if changes:
            try:
                testimonial_edit(testimonial_id=obj.pk, actor=request.user, changes=changes)
            except ModerationError as error:  # the status moved since the form was checked
                self.message_user(request, str(error), messages.ERROR)
                return
        captions = form.captions_change()
        if form.cleaned_data.get("speech_draft_used"):
            # The moderator loaded the automatic draft into the cue editor and saves the
            # captions, edited or as they are: a person has reviewed them.
            text = captions if captions is not None else form.cleaned_data.get("captions_text", "")
            if text.strip():
                try:
                    speech_draft_accept(
                        testimonial_id=obj.pk, actor=request.user, captions_text=text
                    )
                except SpeechDraftError as error:
                    self.message_user(request, str(error), messages.WARNING)
                else:
                    self.message_user(
                        request,
                        gettext(
                            "Brouillon automatique relu : ces sous-titres sont maintenant ceux "
                            "du témoignage."
                        ),
                        messages.SUCCESS,
                    )
                    return
        if captions is not None:
            testimonial_captions_set(testimonial_id=obj.pk, actor=request.user, text=captions)


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
