"""What a testimonial's consent allows the employer kit: until when, in which channels, under
which rights. The model's `clean()` and the services both check an asset against it."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ambassadors.services import retention


@dataclass(frozen=True)
class ConsentLimits:
    """What a testimonial's consent allows the kit: until when, under which rights."""

    until: date  # the last day of use, the day before the consent period ends
    channels: list[str]
    usage_rights: str
    usage_rights_en: str = ""


def testimonial_kit_limits(*, testimonial: Any) -> ConsentLimits | None:
    """The kit's limits for a testimonial: its first publication + the accepted duration, the
    accepted channels. None without a consent record or before any publication."""
    consent = retention.consent_of(testimonial)
    ends = retention.testimonial_consent_ends_at(testimonial)
    if consent is None or ends is None:
        return None
    until = timezone.localdate(ends) - timedelta(days=1)
    channels = retention.consent_channels(consent)
    rights = {}
    for language in ("fr", "en"):
        with translation.override(language):
            rights[language] = _(
                "Recrutement uniquement, dans les canaux acceptés par l'auteur (%(channels)s), "
                "sans montage ni recadrage, avec la mention « One Provence — Tous Ambassadeurs », "
                "jusqu'au %(day)s (accord de l'auteur, v%(version)s)."
            ) % {
                "channels": ", ".join(channels),
                "day": until.strftime("%d/%m/%Y"),
                "version": consent.text_version,
            }
    return ConsentLimits(
        until=until, channels=channels, usage_rights=rights["fr"], usage_rights_en=rights["en"]
    )


def consent_includes_kit(consent: Any) -> bool:
    return consent.choices.get("employer_kit") is not False and any(
        "kit" in channel.lower() for channel in retention.consent_channels(consent)
    )


def kit_asset_consent_errors(*, asset: Any) -> dict[str, str]:
    """Why a testimonial's asset would exceed its author's consent, by field (French); {} if
    it does not. Staff may shorten the availability, never extend it nor change the rights."""
    if asset.testimonial_id is None or asset.withdrawn_at is not None:
        return {}  # a withdrawn asset is out of the kit for good: nothing left to limit
    with translation.override("fr"):
        limits = testimonial_kit_limits(testimonial=asset.testimonial)
        if limits is None:
            # Not a field's error: the testimonial is read-only in the admin form.
            return {NON_FIELD_ERRORS: _("Ce témoignage n'a pas de preuve de consentement.")}
        if not consent_includes_kit(retention.consent_of(asset.testimonial)):
            return {
                NON_FIELD_ERRORS: _("Le consentement de l'auteur n'inclut pas le kit employeur.")
            }
        errors = {}
        if asset.available_until is None or asset.available_until > limits.until:
            errors["available_until"] = _(
                "La date de fin ne peut pas dépasser la fin du consentement de l'auteur : "
                "le %(day)s au plus tard."
            ) % {"day": limits.until.strftime("%d/%m/%Y")}
        if asset.usage_rights.strip() != limits.usage_rights:
            errors["usage_rights"] = _(
                "Les droits d'usage d'un témoignage sont ceux que son auteur a acceptés "
                "(canaux : %(channels)s) : ils ne peuvent être ni élargis ni modifiés."
            ) % {"channels": ", ".join(limits.channels)}
        english = asset.usage_rights_en.strip()
        if english and english != limits.usage_rights_en:
            errors["usage_rights_en"] = _(
                "Les droits d'usage d'un témoignage sont ceux que son auteur a acceptés "
                "(canaux : %(channels)s) : ils ne peuvent être ni élargis ni modifiés."
            ) % {"channels": ", ".join(limits.channels)}
    return errors
