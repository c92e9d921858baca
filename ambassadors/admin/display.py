"""How the moderation admin words a testimonial: its automatic flags (short badges, a
duplicate linked to the other testimonial), a minor's parent consent, the video's summary in
plain French, the history's actors and numbers in the reader's format."""

import re
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
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
    "no_audio": _("sans son"),
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


# --- The review page in plain French: numbers, flags as badges, the video's summary ---------

# A testimonial's id inside a flag's detail ("même fichier que <uuid>, <uuid>").
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A decimal point between digits ("6.5 s", "0.0–2.0 s"), as the pipeline writes its details.
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
# The flags that point at another testimonial.
DUPLICATE_CODES = frozenset({"duplicate", "near_duplicate"})
# What each check says about the picture or the sound (the summary's lines).
PICTURE_CODES = frozenset({"black", "black_video", "frozen", "frozen_video"})
SOUND_CODES = frozenset({"silence", "silent", "no_audio"})
# Loudness (LUFS, integrated) under which a voice is hard to hear on a phone.
QUIET_LUFS = -30.0
VERY_QUIET_LUFS = -40.0


def decimal(value: float, places: int = 1) -> str:
    """A number as the reader's language writes it ("6,5" in French), trailing ",0" dropped."""
    text = number_format(round(value, places), places)
    zero = number_format(0, places)[1:] if places else ""
    return text[: -len(zero)] if zero and text.endswith(zero) else text


def seconds_text(seconds: float) -> str:
    """A duration in words: "6,5 s", "1 min 32 s"."""
    if seconds < 60:
        return gettext("%(seconds)s s") % {"seconds": decimal(seconds)}
    minutes, rest = divmod(round(seconds), 60)
    return gettext("%(minutes)s min %(seconds)02d s") % {"minutes": minutes, "seconds": rest}


def megabytes_text(size: int) -> str:
    return gettext("%(size)s Mo") % {"size": decimal(size / 1_000_000)}


def french_numbers(text: str) -> str:
    """The pipeline's details with the reader's decimal separator ("0.0–2.0 s" → "0,0–2,0 s")."""
    separator = number_format(0.5, 1)[1]
    return _DECIMAL_POINT.sub(separator, text)


def flag_short_label(flag: Any) -> str:
    """The badge's word ("silence", "doublon"): ours, whatever the pipeline's longer label."""
    code = flag_code(flag)
    return str(FLAG_LABELS.get(code, code.replace("_", " ")))


def flag_sentence(flag: Any) -> str:
    """One flag in words for the review page: the pipeline's label, then its detail (numbers in
    the reader's format, other testimonials' ids left to the links)."""
    code = flag_code(flag)
    label = flag.get("label") if isinstance(flag, dict) else None
    label = label or flag_short_label(flag).capitalize()
    detail = (flag.get("detail") or flag.get("message") or "") if isinstance(flag, dict) else ""
    if code in DUPLICATE_CODES or code == "no_audio":
        # The ids are the badges' links; "no audio stream" is the label said in English.
        return label
    return f"{label} : {french_numbers(detail)}" if detail else label


def flag_targets(flag: Any) -> list[str]:
    """The other testimonials a duplicate flag points at (their ids, in the detail's order)."""
    if flag_code(flag) not in DUPLICATE_CODES or not isinstance(flag, dict):
        return []
    return list(dict.fromkeys(_UUID.findall(str(flag.get("detail") or ""))))


def flag_badges(flags: list[Any]) -> str:
    """The flags as short badges; a duplicate's badge links to the other testimonial's review
    page (one badge per testimonial it repeats)."""
    badges = []
    for flag in flags:
        label = flag_short_label(flag)
        targets = flag_targets(flag)
        if not targets:
            detail = flag_sentence(flag)
            if detail.lower() == label.lower():
                badges.append(format_html('<span class="moderation-flag">{}</span>', label))
            else:
                badges.append(
                    format_html('<span class="moderation-flag" title="{}">{}</span>', detail, label)
                )
            continue
        for target in targets:
            badges.append(
                format_html(
                    '<a class="moderation-flag moderation-flag--link" href="{}" title="{}">'
                    '{} <span class="moderation-flag__target">n°\u00a0{}</span></a>',
                    reverse("admin:ambassadors_testimonial_change", args=[target]),
                    gettext("Ouvrir le témoignage dont celui-ci est un %(label)s")
                    % {"label": label},
                    label,
                    target[:8],
                )
            )
    return format_html_join(" ", "{}", ((badge,) for badge in badges))


def video_summary(testimonial: Testimonial) -> list[tuple[str, str]]:
    """The review page's summary in words: durée, orientation, qualité d'image, son,
    signalements (each a (label, text) pair), from the probe and the flags."""
    probe = testimonial.probe if isinstance(testimonial.probe, dict) else {}
    video = probe.get("video") if isinstance(probe.get("video"), dict) else None
    audio = probe.get("audio") if isinstance(probe.get("audio"), dict) else None
    codes = {flag_code(flag): flag for flag in testimonial.flags or []}
    lines: list[tuple[str, str]] = []

    duration = testimonial.duration if testimonial.duration is not None else probe.get("duration")
    lines.append(
        (gettext("Durée"), seconds_text(float(duration)) if duration else gettext("inconnue"))
    )

    if video:
        width = int(video.get("display_width") or video.get("width") or 0)
        height = int(video.get("display_height") or video.get("height") or 0)
        if int(video.get("rotation") or 0) % 180 and "display_width" not in video:
            width, height = height, width
        lines.append((gettext("Orientation"), _orientation(width, height)))
        lines.append((gettext("Qualité d'image"), _picture(video, width, height, codes)))
    else:
        lines.append((gettext("Image"), gettext("aucune image vidéo trouvée")))

    lines.append((gettext("Son"), _sound(audio, probe, codes)))

    if testimonial.original_size:
        lines.append((gettext("Fichier envoyé"), megabytes_text(testimonial.original_size)))

    flags = testimonial.flags or []
    if flags:
        said = "; ".join(flag_sentence(flag) for flag in flags)
    else:
        said = gettext("aucun : rien à signaler")
    lines.append((gettext("Signalements"), said))
    return lines


def _orientation(width: int, height: int) -> str:
    if not width or not height:
        return gettext("inconnue")
    size = f"{width}\u00a0×\u00a0{height}"
    if abs(width - height) <= min(width, height) * 0.05:
        return gettext("carrée (%(size)s)") % {"size": size}
    if height > width:
        return gettext("portrait, tenue verticalement (%(size)s)") % {"size": size}
    return gettext("paysage, tenue horizontalement (%(size)s)") % {"size": size}


def _picture(video: dict, width: int, height: int, codes: dict[str, Any]) -> str:
    lines = min(width, height)
    if lines >= 1080:
        words = gettext("très bonne (Full HD, %(lines)sp)")
    elif lines >= 720:
        words = gettext("bonne (HD, %(lines)sp)")
    elif lines >= 480:
        words = gettext("correcte (%(lines)sp)")
    else:
        words = gettext("faible (%(lines)sp) : l'image sera floue en grand")
    parts = [words % {"lines": lines}]
    rate = video.get("frame_rate")
    if rate:
        parts.append(gettext("%(rate)s images par seconde") % {"rate": decimal(float(rate))})
    if video.get("variable_frame_rate"):
        parts.append(gettext("cadence variable (normal pour un téléphone)"))
    for code in ("black", "black_video", "frozen", "frozen_video"):
        if code in codes:
            parts.append(flag_sentence(codes[code]).lower())
    return ", ".join(parts)


def _sound(audio: dict | None, probe: dict, codes: dict[str, Any]) -> str:
    if audio is None or "no_audio" in codes:
        return gettext("aucun son : la vidéo est muette")
    channels = int(audio.get("channels") or 0)
    parts = [gettext("stéréo") if channels >= 2 else gettext("mono")]
    checks = probe.get("checks") if isinstance(probe.get("checks"), dict) else {}
    loudness = (checks.get("loudness") or {}).get("input_i")
    if isinstance(loudness, (int, float)):
        if loudness < VERY_QUIET_LUFS:
            level = gettext("volume très faible")
        elif loudness < QUIET_LUFS:
            level = gettext("volume faible")
        else:
            level = gettext("volume correct")
        parts.append(f"{level} ({decimal(loudness)}\u00a0LUFS)")
    for code in ("silence", "silent"):
        if code in codes:
            parts.append(flag_sentence(codes[code]).lower())
    return ", ".join(parts)


# --- The history (TestimonialEvent) in words --------------------------------------------------

ACTOR_LABELS = {
    "resident": _("le résident"),
    "parent": _("le parent"),
    "worker": _("le traitement automatique"),
    "system": _("la plateforme (automatique)"),
}


def event_actor(event: Any) -> str:
    """Who made a move, in words: a staff member's name, or the resident, the parent, the
    automatic processing, the platform."""
    if event.actor_id:
        user = event.actor
        return user.get_full_name() or user.get_username()
    label = event.actor_label or "system"
    return str(ACTOR_LABELS.get(label, label))


def event_note(note: str) -> str:
    """The worker writes the flags' codes ("short, silence"): said with their words."""
    parts = [part.strip() for part in note.split(",")] if note else []
    if parts and all(part in FLAG_LABELS for part in parts):
        return gettext("signalements : %(flags)s") % {
            "flags": ", ".join(str(FLAG_LABELS[part]) for part in parts)
        }
    return french_numbers(note)
