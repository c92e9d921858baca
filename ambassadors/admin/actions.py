"""The testimonial admin's actions, described once.

Each action is one `TestimonialAction`: its title, its confirmation form (None: applied at once
from the change list), the permission it needs, the statuses it applies to and the service that
applies it to one testimonial. The change list's action menu, the review page's buttons, the
confirmation page and the loop that applies an action all read this registry. A higher app adds
its own with `register_action` (the employer kit's "Ajouter au kit employeur"), so this app never
imports it.
"""

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from ..models import Status, Testimonial
from ..selectors import publication_free_slots
from ..services.audit import ModerationError
from ..services.decisions import (
    testimonial_approve,
    testimonial_feature,
    testimonial_reject,
    testimonial_reopen,
    testimonial_schedule,
    testimonial_withdraw_by_staff,
)
from ..services.publication import testimonial_publish_now, testimonial_unpublish
from ..services.status import InvalidTransition
from .forms import ApproveForm, ConfirmForm, NoteForm, RejectForm, ReopenForm, ScheduleForm

# What the moderator reads once an action is done.
DONE_MESSAGE = gettext_noop("%(action)s : %(count)s témoignage(s).")
NOT_ERASED = frozenset(Status) - {Status.ERASED}


@dataclass(frozen=True)
class ActionStep:
    """One testimonial an action is applied to: who asks, what the form said, and the
    publication date asked or, for a selection, the next free slot of the rhythm."""

    testimonial: Testimonial
    actor: AbstractBaseUser
    data: Mapping[str, Any]
    publish_at: datetime.datetime | None = None


@dataclass(frozen=True)
class TestimonialAction:
    name: str
    title: str | Promise
    # The confirmation page's form; None: applied at once from the change list (no page, so no
    # button on the review page either).
    form: type[forms.Form] | None
    # "app_label.codename", checked with `user.has_perm`.
    permission: str
    statuses: frozenset[str]
    # Calls the service for one testimonial; may return a line for the moderator.
    apply: Callable[[ActionStep], str | None]
    # What a service raises to refuse one testimonial (the others go on), shown at that level.
    refusals: tuple[type[Exception], ...] = (InvalidTransition, ModerationError)
    refusal_level: int = messages.ERROR
    refusal_message: str = "%(testimonial)s : %(error)s"
    # Said once the selection is done (None: the lines the service returns are enough).
    done_message: str | None = DONE_MESSAGE
    # The change list's label when it differs from the title; False: not in the change list.
    bulk_title: str | Promise | None = None
    in_changelist: bool = True
    # On the review page, whether this testimonial is offered the button (besides its status).
    offered: Callable[[Testimonial], bool] | None = None
    # Without a date, a selection takes the next free slots of the publishing rhythm.
    uses_slots: bool = False
    # Asks to confirm when a testimonial's automatic speech drafts are unreviewed (issue 19).
    confirms_speech_drafts: bool = False

    @property
    def changelist_name(self) -> str:
        return f"{self.name}_selected"

    def allowed(self, user: Any) -> bool:
        return user.has_perm(self.permission)

    def applicable(self, testimonials: Iterable[Testimonial]) -> list[Testimonial]:
        return [testimonial for testimonial in testimonials if testimonial.status in self.statuses]


_REGISTRY: dict[str, TestimonialAction] = {}


def register_action(action: TestimonialAction) -> TestimonialAction:
    """Offer an action on testimonials in the admin (registering a name again replaces it)."""
    _REGISTRY[action.name] = action
    return action


def registered_actions() -> list[TestimonialAction]:
    return list(_REGISTRY.values())


def action_get(name: str) -> TestimonialAction | None:
    return _REGISTRY.get(name)


def actions_offered(user: Any, testimonial: Testimonial) -> list[tuple[str, str, str]]:
    """The review page's buttons: (name, title, link to the confirmation page)."""
    found = []
    for action in _REGISTRY.values():
        if action.form is None or testimonial.status not in action.statuses:
            continue
        if action.offered is not None and not action.offered(testimonial):
            continue
        if not action.allowed(user):
            continue
        url = reverse("admin:ambassadors_testimonial_moderate", args=[action.name])
        found.append((action.name, str(action.title), f"{url}?ids={testimonial.pk}"))
    return found


def action_apply(
    action: TestimonialAction,
    testimonials: list[Testimonial],
    *,
    actor: AbstractBaseUser,
    data: Mapping[str, Any],
) -> list[tuple[int, str]]:
    """Apply an action to each testimonial; return what to tell the moderator, (level, text)."""
    slots: list[datetime.datetime] = []
    if action.uses_slots and not data.get("publish_at"):
        slots = publication_free_slots(
            count=len(testimonials), exclude=[t.pk for t in testimonials]
        )
    done, lines = 0, []
    for index, testimonial in enumerate(testimonials):
        publish_at = data.get("publish_at") or (slots[index] if index < len(slots) else None)
        step = ActionStep(testimonial=testimonial, actor=actor, data=data, publish_at=publish_at)
        try:
            line = action.apply(step)
        except action.refusals as error:
            refusal = action.refusal_message % {"testimonial": testimonial, "error": error}
            lines.append((action.refusal_level, refusal))
            continue
        done += 1
        if line:
            lines.append((messages.INFO, line))
    if done and action.done_message:
        summary = gettext(action.done_message) % {"action": action.title, "count": done}
        lines.insert(0, (messages.SUCCESS, summary))
    return lines


def changelist_function(action: TestimonialAction) -> Callable[..., HttpResponseRedirect | None]:
    """The change list's action: to the confirmation page, or applied at once without a form."""

    def run(
        modeladmin: Any, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponseRedirect | None:
        if action.form is not None:
            ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
            url = reverse("admin:ambassadors_testimonial_moderate", args=[action.name])
            back = quote(request.get_full_path(), safe="")
            return HttpResponseRedirect(f"{url}?ids={ids}&next={back}")
        chosen = action.applicable(queryset)
        for level, line in action_apply(action, chosen, actor=request.user, data={}):
            modeladmin.message_user(request, line, level)
        return None

    run.__name__ = action.changelist_name
    return run


# --- The moderation's own actions ---------------------------------------------------------------


def _approve(step: ActionStep) -> None:
    testimonial_approve(
        testimonial_id=step.testimonial.pk,
        actor=step.actor,
        publish_at=step.publish_at,
        note=step.data.get("note", ""),
    )


def _reject(step: ActionStep) -> None:
    testimonial_reject(
        testimonial_id=step.testimonial.pk,
        actor=step.actor,
        reason=step.data.get("reason"),
        details=step.data["details"],
    )


def _reopen(step: ActionStep) -> None:
    testimonial_reopen(testimonial_id=step.testimonial.pk, actor=step.actor, note=step.data["note"])


def _schedule(step: ActionStep) -> None:
    if step.publish_at is None:
        raise ModerationError(
            gettext("Le rythme de publication n'offre aucun créneau : choisissez une date.")
        )
    testimonial_schedule(
        testimonial_id=step.testimonial.pk, actor=step.actor, publish_at=step.publish_at
    )


def _publish_now(step: ActionStep) -> None:
    testimonial_publish_now(testimonial_id=step.testimonial.pk, actor=step.actor)


def _feature(step: ActionStep) -> None:
    testimonial_feature(testimonial_id=step.testimonial.pk, actor=step.actor, featured=True)


def _unfeature(step: ActionStep) -> None:
    testimonial_feature(testimonial_id=step.testimonial.pk, actor=step.actor, featured=False)


def _unpublish(step: ActionStep) -> None:
    testimonial_unpublish(
        testimonial_id=step.testimonial.pk, actor=step.actor, note=step.data["note"]
    )


def _erase(step: ActionStep) -> None:
    testimonial_withdraw_by_staff(
        testimonial_id=step.testimonial.pk, actor=step.actor, note=step.data["note"]
    )


MODERATE = "ambassadors.moderate_testimonial"


def _moderators(
    name: str,
    title: str | Promise,
    form: type[forms.Form] | None,
    statuses: frozenset[str],
    apply: Callable[[ActionStep], str | None],
    **options: Any,
) -> TestimonialAction:
    """A decision of the moderators (permission `MODERATE`)."""
    return TestimonialAction(
        name=name, title=title, form=form, permission=MODERATE, statuses=statuses, apply=apply,
        **options,
    )  # fmt: skip


ONLY_IN_REVIEW, ONLY_APPROVED = frozenset({Status.IN_REVIEW}), frozenset({Status.APPROVED})

MODERATION_ACTIONS = (
    _moderators(
        "approve", _("Approuver"), ApproveForm, ONLY_IN_REVIEW, _approve,
        uses_slots=True, confirms_speech_drafts=True,
    ),
    _moderators(
        "reject", _("Refuser"), RejectForm, frozenset({Status.IN_REVIEW, Status.APPROVED}), _reject
    ),
    _moderators(
        "reopen", _("Remettre en modération"), ReopenForm, frozenset({Status.REJECTED}), _reopen
    ),
    _moderators(
        "schedule", _("Programmer la publication"), ScheduleForm, ONLY_APPROVED, _schedule,
        uses_slots=True,
    ),
    _moderators(
        "publish_now", _("Publier maintenant"), forms.Form, ONLY_APPROVED, _publish_now,
        # A publication asked now is done by the worker a few seconds later.
        done_message=gettext_noop(
            "Publication en cours… (%(count)s témoignage(s)) : la page les montre publiés "
            "d'ici quelques secondes."
        ),
    ),
    _moderators(
        "feature", _("Mettre à la une"), forms.Form, NOT_ERASED, _feature,
        offered=lambda testimonial: not testimonial.featured,
    ),
    _moderators(
        "unfeature", _("Retirer de la une"), forms.Form, NOT_ERASED, _unfeature,
        offered=lambda testimonial: testimonial.featured, in_changelist=False,
    ),
    _moderators(
        "unpublish", _("Dépublier"), NoteForm, frozenset({Status.PUBLISHED}), _unpublish
    ),
    # Erasing is a permission of its own (`erase_testimonial`), not every moderator's.
    TestimonialAction(
        name="erase",
        title=_("Effacer"),
        bulk_title=_("Effacer (vidéo et données)"),
        form=ConfirmForm,
        permission="ambassadors.erase_testimonial",
        statuses=NOT_ERASED,
        apply=_erase,
    ),
)  # fmt: skip

for action in MODERATION_ACTIONS:
    register_action(action)
