"""How the moderation admin words a testimonial's automatic flags and a minor's parent consent."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Testimonial

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
