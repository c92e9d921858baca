"""Signal receivers (connected in EmployerKitConfig.ready())."""

from typing import Any

from ambassadors.models import Status

from . import erasure, services


def take_down_unpublished_testimonial(
    sender: Any, *, testimonial_id: Any, from_status: str, to_status: str, **kwargs: Any
) -> None:
    """A testimonial that leaves `published` (unpublished, withdrawn, erased) leaves the kit."""
    if to_status == Status.PUBLISHED:
        return
    services.kit_asset_takedown(
        testimonial_id=testimonial_id, reason=f"testimonial {from_status} -> {to_status}"
    )


def anonymise_erased_testimonial(sender: Any, *, testimonial_id: Any, **kwargs: Any) -> None:
    """An erased testimonial's asset keeps no name: title, credits, download log, admin log."""
    erasure.kit_asset_anonymise(testimonial_id=testimonial_id)
