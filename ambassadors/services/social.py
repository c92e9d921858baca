"""What the social team gets of an approved testimonial: the branded 9:16, 1:1 and 16:9
renditions, and the pack (renditions, poster, captions, suggested post) they download."""

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ambassadors import conf, keys, task_names
from ambassadors.media.renditions import SOCIAL_FORMATS, Branding, social_command
from ambassadors.models import Testimonial
from ambassadors.services.audit import ModerationError
from ambassadors.services.captions import RENDER_FOR_CAPTIONS, SOCIAL_STATUSES, captions_version
from ambassadors.services.files import download_original, upload_files, work_directory
from ambassadors.services.locks import PROCESSING, advisory_key, processing_lock
from ambassadors.services.pipeline import (
    last_line,
    media_limits,
    probe_local,
    transcode_timeout,
    web_spec,
)
from ambassadors.services.queue import task_queue_on_commit
from campaigns.models import Campaign
from onprovence.mediarunner import run_tool
from onprovence.storage import ObjectMissing, private_storage, storage_errors, storage_read

logger = logging.getLogger(__name__)


# --- Social renditions (after approval) -------------------------------------------------------


def testimonial_branding(testimonial: Testimonial, workdir: Path) -> Branding:
    """The campaign look for this testimonial (its placement's campaign, else the live one)."""
    campaign = testimonial.placement.campaign if testimonial.placement is not None else None
    if campaign is None:
        campaign = (
            Campaign.objects.filter(status=Campaign.Status.LIVE).order_by("-starts_on").first()
        )
    if campaign is None:
        return Branding()
    logo = None
    logo_name = campaign.logo.name  # a FieldFile is true exactly when it has a name
    if logo_name:
        suffix = Path(logo_name).suffix.lower()
        if suffix in {".png", ".jpg", ".jpeg", ".webp"}:
            logo_path = workdir / f"logo{suffix}"
            with storage_errors(), campaign.logo.open("rb") as source:
                logo_path.write_bytes(source.read())
            logo = logo_path.name
    return Branding(
        primary_color=campaign.primary_color, accent_color=campaign.accent_color, logo=logo
    )


def testimonial_render_social(*, testimonial_id: UUID | str, reason: str = "") -> str:
    """Render the 9:16, 1:1 and 16:9 renditions of an approved testimonial, branded and captioned.

    Returns "rendered", "busy", "current" (`reason` is RENDER_FOR_CAPTIONS and the cuts
    already burn the stored captions) or "skipped" (not approved/published, or nothing to
    render from).
    `probe["social"]["captions_version"]` records the captions burned in (the pack checks it).
    """
    with processing_lock(testimonial_id) as acquired:
        if not acquired:
            return "busy"
        testimonial = Testimonial.objects.select_related("placement__campaign").get(
            pk=testimonial_id
        )
        if testimonial.status not in SOCIAL_STATUSES:
            return "skipped"
        if reason == RENDER_FOR_CAPTIONS and _cuts_burn_stored_captions(testimonial):
            return "current"
        key = testimonial.original_key or keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
        storage = private_storage()
        with work_directory(testimonial.pk) as workdir:
            source = workdir / "original"
            try:
                download_original(key, source)
            except ObjectMissing:
                logger.error("testimonial %s: no original to render social formats", testimonial.pk)
                return "skipped"
            demuxer, facts, verdict, _ = probe_local(source, limits=media_limits())
            if not verdict.accepted:
                return "skipped"
            # Only validate_probe accepts, and only a sniffed container whose probe gave a duration.
            assert demuxer is not None and facts is not None and facts.duration is not None
            captions, burned = None, b""
            captions_key = keys.testimonial_key(testimonial.pk, keys.CAPTIONS)
            with storage_errors():
                if storage.exists(captions_key):
                    burned = storage_read(storage, captions_key)
                    (workdir / keys.CAPTIONS).write_bytes(burned)
                    captions = keys.CAPTIONS
            branding = testimonial_branding(testimonial, workdir)
            outputs = {name: keys.SOCIAL[name] for name in SOCIAL_FORMATS}
            command = social_command(
                settings.FFMPEG_BINARY,
                source.name,
                demuxer,
                facts,
                outputs,
                branding=branding,
                captions=captions,
                spec=web_spec(),
                max_duration=conf.MAX_DURATION_SECONDS,
            )
            run = run_tool(
                command,
                timeout=transcode_timeout(
                    facts.duration, per_second=conf.MEDIA_SOCIAL_TIMEOUT_PER_VIDEO_SECOND
                ),
                memory_bytes=conf.MEDIA_FFMPEG_MEMORY_BYTES,
                file_bytes=conf.MEDIA_OUTPUT_MAX_BYTES,
                cwd=workdir,
            )
            if run.returncode != 0:
                raise RuntimeError(f"social renditions failed: {last_line(run.stderr)}")
            upload_files(
                {
                    keys.testimonial_key(testimonial.pk, filename): workdir / filename
                    for filename in outputs.values()
                }
            )
        probe = dict(testimonial.probe or {})
        probe["social"] = {
            "formats": sorted(outputs),
            "captions": bool(captions),
            "captions_version": captions_version(burned),
            "logo": bool(branding.logo),
            "seconds": round(run.seconds, 3),
        }
        Testimonial.objects.filter(pk=testimonial.pk).update(probe=probe, updated_at=timezone.now())
    return "rendered"


# --- Social pack -------------------------------------------------------------------------------


# The suggested post comes in both languages of the campaign; the resident's own words (quote,
# name, job) stay as they wrote them.
SOCIAL_POST_LANGUAGES = ("fr", "en")


def social_post_text(testimonial: Testimonial, language: str = "fr") -> str:
    """A suggested post for the social team in `language`, with the page link and hashtags."""
    with translation.override(language):
        sector = testimonial.sector.display_name.lower() if testimonial.sector else ""
        return render_to_string(
            "ambassadors/admin/social-post.txt",
            {
                "testimonial": testimonial,
                "sector": sector,
                "url": settings.SITE_URL + testimonial.get_absolute_url(),
                "hashtags": _hashtags(testimonial),
            },
        ).strip()


def social_post_texts(testimonial: Testimonial) -> dict[str, str]:
    """The suggested post in each language of the campaign (French first)."""
    return {language: social_post_text(testimonial, language) for language in SOCIAL_POST_LANGUAGES}


def _hashtags(testimonial: Testimonial) -> list[str]:
    """The campaign's tags, then the sector (in the active language) and the testimonial's."""
    words = ["TousAmbassadeurs", "OneProvence", "AixMarseilleProvence"]
    if testimonial.sector:
        words.append(re.sub(r"[^\w]", "", testimonial.sector.display_name.title()))
    words += [re.sub(r"[^\w]", "", tag.title()) for tag in testimonial.tag_list]
    return ["#" + word for word in dict.fromkeys(words) if word]


def social_cuts_captions_version(testimonial: Testimonial) -> str | None:
    """The captions version burned into the social cuts; None when unknown (not rendered yet,
    or rendered before versions were recorded)."""
    social = (testimonial.probe or {}).get("social") or {}
    version = social.get("captions_version")
    return version if isinstance(version, str) else None


def _stored_captions(testimonial: Testimonial) -> bytes:
    storage = private_storage()
    key = keys.testimonial_key(testimonial.pk, keys.CAPTIONS)
    with storage_errors():
        return storage_read(storage, key) if storage.exists(key) else b""


def testimonial_social_cuts_current(*, testimonial: Testimonial) -> bool:
    """True when the social cuts burn the captions stored now (the pack may be built)."""
    return social_cuts_captions_version(testimonial) == captions_version(
        _stored_captions(testimonial)
    )


def _cuts_burn_stored_captions(testimonial: Testimonial) -> bool:
    storage = private_storage()
    with storage_errors():
        every_cut = all(
            storage.exists(keys.testimonial_key(testimonial.pk, name))
            for name in keys.SOCIAL.values()
        )
    return every_cut and testimonial_social_cuts_current(testimonial=testimonial)


def testimonial_social_pack_files(*, testimonial: Testimonial) -> list[tuple[str, str]]:
    """(key, name in the archive) of the pack's files that exist in the private store
    (captions are not among them: the pack adds the version the cuts burned in)."""
    storage = private_storage()
    wanted = [(keys.SOCIAL[ratio], f"video-{ratio}.mp4") for ratio in ("9x16", "1x1", "16x9")]
    wanted += [(keys.POSTER_JPEG, "affiche.jpg")]
    found = []
    for name, arcname in wanted:
        key = keys.testimonial_key(testimonial.pk, name)
        if storage.exists(key):
            found.append((key, arcname))
    return found


def _read_in_chunks(key: str, size: int = 1024 * 1024) -> Iterator[bytes]:
    with private_storage().open(key, "rb") as handle:
        while chunk := handle.read(size):
            yield chunk


class _PackStream:
    """The pack's bytes, streamed while the pack holds the testimonial's processing lock in
    shared mode: no render replaces the cuts in the middle of a download (a render that finds
    the lock taken retries later). The lock is released at the end of the stream or when the
    response is closed, even if it was never read (Django calls `close`)."""

    def __init__(self, archive: Iterable[bytes], release: Callable[[], None]) -> None:
        self._archive = archive
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._archive
        finally:
            self.close()

    def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()


def _pack_lock(testimonial_id: UUID | str) -> Callable[[], None] | None:
    """Take the processing lock of this testimonial in shared mode (packs may be read side by
    side; a render needs it alone); return its release, or None when a render holds it."""
    if connection.vendor != "postgresql":
        return lambda: None
    key = advisory_key(PROCESSING, testimonial_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock_shared(%s)", [key])
        if not cursor.fetchone()[0]:
            return None

    def release() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_shared(%s)", [key])

    return release


def testimonial_social_pack(*, testimonial: Testimonial) -> Iterable[bytes]:
    """Stream a ZIP of the social renditions, poster, captions and the suggested post (fr, en).

    The captions in the pack are the ones burned into its cuts: when they changed since the
    cuts were rendered, or while a render runs, no pack is made (ModerationError saying so);
    a render is queued when captions changed and none is running.
    """
    import zipstream

    files = testimonial_social_pack_files(testimonial=testimonial)
    if not any(arcname.startswith("video-") for _, arcname in files):
        raise ModerationError(
            _("Les formats réseaux sociaux ne sont pas encore prêts : réessayez dans un moment.")
        )
    updating = ModerationError(
        _(
            "Les sous-titres ont changé depuis la fabrication des formats réseaux sociaux : "
            "ils sont en cours de mise à jour. Réessayez dans quelques minutes."
        )
    )
    release = _pack_lock(testimonial.pk)
    if release is None:
        raise updating
    try:
        # Read under the lock: what the last finished render recorded, and the captions now.
        testimonial.refresh_from_db(fields=["probe", "status"])
        captions = _stored_captions(testimonial)
        if social_cuts_captions_version(testimonial) != captions_version(captions):
            if testimonial.status in SOCIAL_STATUSES:
                task_queue_on_commit(
                    task_names.RENDER_SOCIAL, testimonial.pk, RENDER_FOR_CAPTIONS, robust=True
                )
            raise updating
        archive = zipstream.ZipStream(compress_type=zipstream.ZIP_STORED)
        for key, arcname in files:
            archive.add(_read_in_chunks(key), arcname)
        if captions:
            archive.add(captions, "sous-titres.vtt")
        for language, text in social_post_texts(testimonial).items():
            archive.add(text.encode() + b"\n", f"publication-{language}.txt")
    except BaseException:
        release()
        raise
    return _PackStream(archive, release)
