"""The testimonial admin's own pages: an action's confirmation page (one testimonial or a
selection), the publication calendar, the social pack download and the captions track."""

import datetime
import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..models import SpeechState, Status, Testimonial
from ..selectors import publication_calendar, publication_free_slots, publication_rhythm
from ..services.audit import ModerationError
from ..services.captions import testimonial_captions_text
from ..services.social import testimonial_social_pack
from ..services.speech import ACTIVE_STATUSES, speech_stage_queue
from ..services.speech_desk import speech_draft_unreviewed, speech_drafts_unreviewed_among
from .actions import MODERATE, action_apply, action_get
from .display import parent_state


class ModerationViewsMixin:
    """The extra pages of `TestimonialAdmin` (a `ModelAdmin`), under its own URLs."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "moderate/<str:action>/",
                wrap(self.moderate_view),
                name="ambassadors_testimonial_moderate",
            ),
            path(
                "queue/next/",
                wrap(self.queue_next_view),
                name="ambassadors_testimonial_queue_next",
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
                "<uuid:testimonial_id>/speech/rerun/",
                wrap(require_POST(self.speech_rerun_view)),
                name="ambassadors_testimonial_speech_rerun",
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
        chosen = action_get(action)
        if chosen is None or chosen.form is None or not chosen.allowed(request.user):
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
        cancel = back
        if len(testimonials) == 1:
            # From the review page: "Annuler" goes back to it; once done, to `next` (the desk's
            # next testimonial in the queue) or back to it.
            cancel = reverse("admin:ambassadors_testimonial_change", args=[testimonials[0].pk])
            if "next" not in request.GET and "next" not in request.POST:
                back = cancel
        applicable = chosen.applicable(testimonials)
        if not applicable:
            self.message_user(
                request,
                gettext("« %(action)s » ne s'applique à aucun des témoignages choisis.")
                % {"action": chosen.title},
                messages.WARNING,
            )
            return HttpResponseRedirect(back)
        data = request.POST or None
        unreviewed = (
            speech_drafts_unreviewed_among(testimonial_ids=[t.pk for t in applicable])
            if chosen.confirms_speech_drafts
            else set()
        )
        if unreviewed and data is not None and SPEECH_ASKED not in data:
            # From the desk's button (or its key `a`) or another form that did not put the
            # question: ask it first, nothing is applied.
            data = None
        form = chosen.form(data)
        if unreviewed:
            form.fields = {SPEECH_CONFIRM: speech_confirm_field(len(unreviewed)), **form.fields}
        if data is not None and form.is_valid():
            lines = action_apply(chosen, applicable, actor=request.user, data=form.cleaned_data)
            for level, line in lines:
                self.message_user(request, line, level)
            if len(applicable) == 1 and not any(level == messages.SUCCESS for level, _ in lines):
                # Refused (a quote missing, a status changed meanwhile): the moderator stays on
                # this testimonial to fix it rather than being sent on to the next one.
                return HttpResponseRedirect(cancel)
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": chosen.title,
            "action": action,
            "form": form,
            "testimonials": applicable,
            "skipped": [t for t in testimonials if t not in applicable],
            "ids": ",".join(str(t.pk) for t in applicable),
            "back": back,
            "cancel": cancel,
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "speech_unreviewed": [t for t in applicable if t.pk in unreviewed],
            "speech_asked": SPEECH_ASKED if unreviewed else "",
        }
        if chosen.uses_slots:
            context["proposed_slots"] = publication_free_slots(
                count=len(applicable), exclude=[t.pk for t in applicable]
            )
        return TemplateResponse(request, "ambassadors/admin/moderate.html", context)

    def queue_next_view(self, request: HttpRequest) -> HttpResponse:
        """Open the next testimonial of the review queue (oldest first) after the one the desk
        was on (`after`, at its place `at` in the queue when the page was shown); wrap to the
        oldest; the queue itself once it is empty."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        found = queue_next(request.GET.get("after", ""), request.GET.get("at", ""))
        if found is None:
            self.message_user(
                request, gettext("La file de modération est vide : bravo !"), messages.SUCCESS
            )
            return HttpResponseRedirect(
                reverse("admin:ambassadors_testimonial_changelist")
                + f"?status__exact={Status.IN_REVIEW}"
            )
        return HttpResponseRedirect(reverse("admin:ambassadors_testimonial_change", args=[found]))

    def calendar_view(self, request: HttpRequest) -> HttpResponse:
        """What goes out when: the publishing rhythm's days, filled and free."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            start = datetime.date.fromisoformat(request.GET.get("start", ""))
        except ValueError:
            start = timezone.localdate()
        start -= datetime.timedelta(days=start.weekday())
        days, unscheduled = publication_calendar(start=start, days=28)
        weeks = [days[index : index + 7] for index in range(0, len(days), 7)]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Calendrier de publication"),
            "weeks": weeks,
            "unscheduled": unscheduled,
            "today": timezone.localdate(),
            "rhythm": publication_rhythm(),
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
            archive = testimonial_social_pack(testimonial=testimonial)
        except ModerationError as error:
            self.message_user(request, str(error), messages.WARNING)
            return HttpResponseRedirect(
                reverse("admin:ambassadors_testimonial_change", args=[testimonial.pk])
            )
        response = StreamingHttpResponse(archive, content_type="application/zip")
        name = f"temoignage-{str(testimonial.pk)[:8]}-reseaux-sociaux.zip"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def speech_rerun_view(self, request: HttpRequest, testimonial_id: uuid.UUID) -> HttpResponse:
        """Run the speech stage again (a failed or skipped draft, once a model is installed)."""
        if not request.user.has_perm(MODERATE):
            raise PermissionDenied
        testimonial = get_object_or_404(Testimonial, pk=testimonial_id)
        back = reverse("admin:ambassadors_testimonial_change", args=[testimonial.pk])
        if testimonial.status not in ACTIVE_STATUSES:
            self.message_user(
                request,
                gettext("Pas de transcription pour un témoignage sans vidéo de modération."),
                messages.WARNING,
            )
            return HttpResponseRedirect(back)
        draft = speech_stage_queue(testimonial_id=testimonial.pk)
        if draft.state == SpeechState.PENDING:
            line = gettext(
                "Transcription relancée : le brouillon automatique apparaîtra sur cette page "
                "dans quelques minutes."
            )
            level = messages.SUCCESS
        else:
            line = gettext("Transcription non relancée : %(state)s.") % {
                "state": draft.get_state_display()
            }
            level = messages.WARNING
        self.message_user(request, line, level)
        return HttpResponseRedirect(back)

    def captions_view(self, request: HttpRequest, testimonial_id: uuid.UUID) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        text = testimonial_captions_text(testimonial_id=testimonial_id)
        response = HttpResponse(text, content_type="text/vtt; charset=utf-8")
        response["Cache-Control"] = "private, no-store"
        return response


def queue_next(after: str, at: str) -> uuid.UUID | None:
    """The id of the testimonial in review that follows (`at`, `after`) in the queue's order
    (oldest status change first), else the oldest one other than `after`."""
    queue = Testimonial.objects.filter(status=Status.IN_REVIEW).order_by("status_changed_at", "pk")
    try:
        current = uuid.UUID(after)
    except ValueError:
        current = None
    if current is not None:
        queue = queue.exclude(pk=current)
        moment = parse_datetime(at) if at else None
        if moment is not None:
            later = queue.filter(
                Q(status_changed_at__gt=moment) | Q(status_changed_at=moment, pk__gt=current)
            )
            following = later.values_list("pk", flat=True).first()
            if following is not None:
                return following
    return queue.values_list("pk", flat=True).first()


def review_desk(request: HttpRequest, testimonial: Testimonial) -> dict | None:
    """The review page's decision bar for a testimonial in review: approve (posted at once,
    next free slot), refuse (the refusal page, for the reason), next, and where it stands in the
    queue; each decision then opens the next testimonial."""
    if testimonial.status != Status.IN_REVIEW:
        return None
    next_url = (
        reverse("admin:ambassadors_testimonial_queue_next")
        + "?"
        + urlencode({"after": testimonial.pk, "at": testimonial.status_changed_at.isoformat()})
    )
    waiting = Testimonial.objects.filter(status=Status.IN_REVIEW)
    ahead = waiting.filter(
        Q(status_changed_at__lt=testimonial.status_changed_at)
        | Q(status_changed_at=testimonial.status_changed_at, pk__lt=testimonial.pk)
    ).count()
    can_moderate = request.user.has_perm(MODERATE)
    return {
        "next_url": next_url,
        "position": ahead + 1,
        "waiting": waiting.count(),
        "can_moderate": can_moderate,
        "approve_url": reverse("admin:ambassadors_testimonial_moderate", args=["approve"]),
        "reject_url": reverse("admin:ambassadors_testimonial_moderate", args=["reject"])
        + "?"
        + urlencode({"ids": testimonial.pk, "next": next_url}),
        "quote_missing": not testimonial.quote.strip(),
        "speech_unreviewed": speech_draft_unreviewed(testimonial_id=testimonial.pk),
    }


# Approving testimonials whose speech drafts nobody reviewed asks to confirm (issue 19): the
# confirmation page's hidden marker (the question was put) and its box.
SPEECH_ASKED = "speech_asked"
SPEECH_CONFIRM = "speech_confirm"


def speech_confirm_field(count: int) -> forms.BooleanField:
    return forms.BooleanField(
        label=ngettext(
            "Approuver quand même : le brouillon automatique non relu ne sera pas publié (ses "
            "sous-titres, sa transcription et ses citations restent hors des pages publiques).",
            "Approuver quand même : les %(count)s brouillons automatiques non relus ne seront "
            "pas publiés (leurs sous-titres, transcriptions et citations restent hors des "
            "pages publiques).",
            count,
        )
        % {"count": count},
        required=True,
        error_messages={
            "required": _(
                "Cochez la case pour approuver sans relire le brouillon automatique, ou "
                "annulez pour le relire d'abord."
            )
        },
    )


def _parse_ids(raw: str) -> list[uuid.UUID]:
    ids = []
    for part in raw.split(","):
        try:
            ids.append(uuid.UUID(part.strip()))
        except ValueError:
            continue
    return ids[:500]


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
