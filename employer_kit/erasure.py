"""What the kit erases when a testimonial is erased (ambassadors' `testimonial_erasing`)."""

from typing import Any

from django.db import transaction

from onprovence.erasure import admin_log_anonymise, mail_files_erase
from onprovence.storage import delete_prefix, private_storage

from .models import KitAsset, KitDownload, OnePager

# What an erased testimonial's asset is called from then on (the kit content is French).
ERASED_TITLE = "Témoignage retiré"
ERASED_CREDITS = "One Provence — Tous Ambassadeurs"


def kit_asset_anonymise(*, testimonial_id: Any) -> list[int]:
    """Strip the name from the asset made from a testimonial, everywhere the kit wrote it.

    The asset's title and credits, the titles in the download log, the admin's history of the
    asset and the kit's emails that quoted its title (takedown notices) in the mail folder.
    The asset row stays (withdrawn), so the notices and the log still point at it. Returns
    the ids of the assets changed.
    """
    with transaction.atomic():
        assets = list(KitAsset.objects.select_for_update().filter(testimonial_id=testimonial_id))
        titles = {text for asset in assets for text in (asset.title, asset.credits) if text}
        titles -= {ERASED_TITLE, ERASED_CREDITS}
        for asset in assets:
            asset.title, asset.credits = ERASED_TITLE, ERASED_CREDITS
            asset.save(update_fields=["title", "credits", "updated_at"])
        ids = [asset.pk for asset in assets]
        KitDownload.objects.filter(asset_id__in=ids).update(asset_title=ERASED_TITLE)
        admin_log_anonymise(model=KitAsset, object_ids=ids, label=ERASED_TITLE)
    if titles:
        mail_files_erase(needles=sorted(titles))
    return ids


def one_pagers_quoting_delete(*, testimonial_id: Any) -> int:
    """Delete the recruiters' sheets that quote a testimonial (its words and photo are printed
    on them) when its author withdraws or is erased; the recruiter renders a new one."""
    sheets = list(
        OnePager.objects.filter(testimonial_id=testimonial_id).select_related("recruiter")
    )
    prefixes = [f"{sheet.recruiter.storage_prefix}/one-pagers/{sheet.pk}" for sheet in sheets]
    OnePager.objects.filter(pk__in=[sheet.pk for sheet in sheets]).delete()

    def delete_files() -> None:
        for prefix in prefixes:
            delete_prefix(private_storage(), prefix)

    if prefixes:
        transaction.on_commit(delete_files)
    return len(sheets)
