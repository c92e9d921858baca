"""Signal receivers (connected in EmployerKitConfig.ready())."""

from typing import Any

from ambassadors.models import Status

from . import erasure, services


def take_down_unpublished_testimonial(
    sender: Any, *, testimonial_id: Any, from_status: str, to_status: str, **kwargs: Any
) -> None:
    """A withdrawn testimonial (by its author, by retention, at the end of its consent) leaves
    the kit for good, with notices to the recruiters who downloaded it.

    Unpublishing is an editorial choice that can be undone: the asset is only hidden while the
    testimonial is not published (`selectors.kit_assets_available`) and comes back with it.
    """
    if to_status not in (Status.WITHDRAWN, Status.ERASED):
        return
    services.kit_asset_takedown(
        testimonial_id=testimonial_id, reason=f"testimonial {from_status} -> {to_status}"
    )
    erasure.one_pagers_quoting_delete(testimonial_id=testimonial_id)


def anonymise_erased_testimonial(sender: Any, *, testimonial_id: Any, **kwargs: Any) -> None:
    """An erased testimonial's asset keeps no name: title, credits, download log, admin log."""
    erasure.kit_asset_anonymise(testimonial_id=testimonial_id)
    erasure.one_pagers_quoting_delete(testimonial_id=testimonial_id)
