"""A published testimonial as a video asset of the kit, inside its author's consent."""

from uuid import UUID

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ambassadors import keys
from ambassadors.selectors import testimonials_published
from ambassadors.services import retention
from onprovence.storage import private_storage

from ..limits import consent_includes_kit, testimonial_kit_limits
from ..models import KitAsset


class TestimonialNotUsable(Exception):
    """The testimonial cannot go into the kit; the message says why (shown to staff)."""


def kit_asset_from_testimonial(*, testimonial_id: UUID | str) -> KitAsset:
    """Make a published testimonial a video asset of the kit, inside its consent limits.

    Messages and the asset's texts are French (the admin's and the kit content's language).
    """
    with translation.override("fr"):
        return _kit_asset_from_testimonial(testimonial_id)


def _kit_asset_from_testimonial(testimonial_id: UUID | str) -> KitAsset:
    testimonial = testimonials_published().filter(pk=testimonial_id).first()
    if testimonial is None:
        raise TestimonialNotUsable(_("Seul un témoignage publié peut être ajouté au kit."))
    consent = retention.consent_of(testimonial)
    if consent is None:
        raise TestimonialNotUsable(_("Ce témoignage n'a pas de preuve de consentement."))
    if not consent_includes_kit(consent):
        raise TestimonialNotUsable(_("Le consentement de l'auteur n'inclut pas le kit employeur."))
    limits = testimonial_kit_limits(testimonial=testimonial)
    if limits is None or limits.until < timezone.localdate():
        raise TestimonialNotUsable(_("La durée du consentement de l'auteur est écoulée."))
    name = testimonial.display_name or _("un ambassadeur")
    key = keys.testimonial_key(testimonial.pk, keys.WEB)
    storage = private_storage()
    size = storage.size(key) if storage.exists(key) else None
    fields = {
        "title": _("Témoignage — %(name)s") % {"name": name},
        "kind": KitAsset.Kind.VIDEO,
        "sector": testimonial.sector,
        "language": testimonial.language[:2] if testimonial.language[:2] in ("fr", "en") else "fr",
        "credits": _("%(name)s, ambassadeur One Provence — Tous Ambassadeurs") % {"name": name},
        "usage_rights": limits.usage_rights,
        "usage_rights_en": limits.usage_rights_en,
        "available_until": limits.until,
        "file_format": "MP4",
        "duration": testimonial.duration,
        "size_bytes": size,
        "preview_key": keys.testimonial_key(testimonial.pk, keys.POSTER_JPEG),
        "withdrawn_at": None,
        "withdrawn_reason": "",
        "analysed_at": timezone.now(),
    }
    with transaction.atomic():
        asset = KitAsset.objects.select_for_update().filter(testimonial=testimonial).first()
        if asset is None:
            asset = KitAsset(testimonial=testimonial, **fields)
        else:
            for name_, value in fields.items():
                setattr(asset, name_, value)
        # The file stays the testimonial's own rendition: its erasure removes it from the kit too.
        asset.file.name = key
        asset.save()
    return asset
