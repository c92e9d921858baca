"""Writes of the employer kit, one module per concern; the names here are its service API.

- `recruiters`: access by magic link, account deletion;
- `assets`: staff's assets, their versions and the worker's analysis;
- `testimonials`: a published testimonial as a video asset, inside its consent
  (the limits themselves are in `employer_kit.limits`);
- `notices`: takedowns and their emails;
- `downloads`: the download log and the streamed archive;
- `one_pager`: the recruiter's logo and the co-branded sheet.

The tasks (`employer_kit.tasks`) import these; the services queue the tasks by their names
(`employer_kit.task_names`), so the services never import the tasks.
"""

from .assets import kit_asset_analyse, kit_asset_save
from .downloads import KitArchive, kit_archive_build, kit_download_record
from .notices import kit_asset_takedown, takedown_notice_send
from .one_pager import logo_validate, one_pager_render
from .recruiters import (
    MAGIC_LINK_SALT,
    SESSION_KEY,
    MagicLinkInvalid,
    magic_link_token,
    recruiter_confirm,
    recruiter_delete,
    recruiter_for_magic_link,
    recruiter_identify,
    siret_is_valid,
)
from .testimonials import TestimonialNotUsable, kit_asset_from_testimonial

__all__ = [
    "MAGIC_LINK_SALT",
    "SESSION_KEY",
    "KitArchive",
    "MagicLinkInvalid",
    "TestimonialNotUsable",
    "kit_archive_build",
    "kit_asset_analyse",
    "kit_asset_from_testimonial",
    "kit_asset_save",
    "kit_asset_takedown",
    "kit_download_record",
    "logo_validate",
    "magic_link_token",
    "one_pager_render",
    "recruiter_confirm",
    "recruiter_delete",
    "recruiter_for_magic_link",
    "recruiter_identify",
    "siret_is_valid",
    "takedown_notice_send",
]
