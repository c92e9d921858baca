"""Decide from the probe alone, before decoding anything, whether a file is a usable testimonial.

A rejection carries a short reason for the resident in French and English and a technical
detail for staff; acceptance may still carry flags (no audio) for moderators.
"""

import math
from dataclasses import dataclass, field

from .probe import ProbeFacts


@dataclass(frozen=True)
class MediaLimits:
    """The bounds a testimonial video must fit (ambassadors.conf builds it from settings)."""

    min_duration: float = 3.0
    max_duration: float = 120.0
    video_codecs: frozenset[str] = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4"})
    audio_codecs: frozenset[str] = frozenset(
        {"aac", "opus", "vorbis", "mp3", "amr_nb", "amr_wb", "pcm_s16le", "pcm_s16be", "alac"}
    )
    min_side: int = 96
    max_side: int = 4096
    max_pixels: int = 4096 * 2304
    min_frame_rate: float = 1.0
    max_frame_rate: float = 240.0
    # Pixels decoded per second (width × height × frame rate): what a transcode costs. The
    # default takes every phone mode up to 4K (3840×2160) at 120 fps (995 Mpx/s); 4K 60 and
    # 1080p 240 slow motion are 498 Mpx/s (docs/pipeline.md).
    max_pixel_rate: float = 1_000_000_000


@dataclass(frozen=True)
class Reason:
    """Why a file is refused: `fr`/`en` for the resident, `detail` for staff."""

    code: str
    fr: str
    en: str
    detail: str = ""

    def for_language(self, language: str) -> str:
        return self.en if (language or "fr").startswith("en") else self.fr

    def as_dict(self) -> dict:
        return {"code": self.code, "fr": self.fr, "en": self.en, "detail": self.detail}


@dataclass(frozen=True)
class Flag:
    """Something a moderator should look at; never a rejection by itself."""

    code: str
    label: str  # French: the admin is French
    detail: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    reason: Reason | None = None
    flags: list[Flag] = field(default_factory=list)


_PACKET_RATE_SLACK = 1.02
_RETRY_FR = " Vous pouvez enregistrer ou choisir une autre vidéo."
_RETRY_EN = " You can record or choose another video."


def _refused(code: str, fr: str, en: str, detail: str = "") -> Verdict:
    """A refusal: what the resident reads (French, English) and the detail for staff."""
    return Verdict(False, Reason(code, fr, en, detail))


# The refusals whose words never change (their detail, for staff, does): code -> French,
# English; each ends with the invitation to try another video.
_PLAIN_REFUSALS = {
    "empty": ("Le fichier reçu est vide.", "The file we received is empty."),
    "image": ("Ce fichier est une image, pas une vidéo.", "This file is a picture, not a video."),
    "not_a_video": (
        "Ce fichier n'est pas une vidéo que nous savons lire (MP4, MOV ou WebM d'un téléphone).",
        "This file is not a video we can read (MP4, MOV or WebM from a phone).",
    ),
    "damaged": (
        "Cette vidéo est abîmée ou incomplète : nous n'avons pas pu la lire.",
        "This video is damaged or incomplete: we could not read it.",
    ),
    "unprocessable": (
        "Nous n'avons pas réussi à préparer cette vidéo.",
        "We could not prepare this video.",
    ),
}


def _plain_refusal(code: str, detail: str) -> Verdict:
    fr, en = _PLAIN_REFUSALS[code]
    return _refused(code, fr + _RETRY_FR, en + _RETRY_EN, detail)


def reject_empty() -> Verdict:
    return _plain_refusal("empty", "zero-byte original")


def reject_not_a_video(detail: str, *, image: bool = False) -> Verdict:
    return _plain_refusal("image" if image else "not_a_video", detail)


def reject_damaged(detail: str) -> Verdict:
    return _plain_refusal("damaged", detail)


def reject_unprocessable(detail: str) -> Verdict:
    return _plain_refusal("unprocessable", detail)


def _seconds(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def _seconds_past(value: float, limit: float) -> str:
    """`value` as _seconds says it, with a tenth (rounded away from `limit`) when it would read
    as `limit`: a 90.04 s video "dure 90,1 s", never "dure 90 s : le maximum est de 90 secondes"."""
    text = _seconds(value)
    if text == _seconds(limit):
        tenths = math.ceil(value * 10) if value > limit else math.floor(value * 10)
        text = f"{tenths / 10:.1f}"
    return text


def _fr(number: str) -> str:
    return number.replace(".", ",")


def validate_probe(facts: ProbeFacts, limits: MediaLimits) -> Verdict:
    """The verdict on a probed file: the first rule it breaks, or acceptance with flags."""
    if facts.refused_sizes:
        width, height = facts.refused_sizes[0]
        return _reject_size(width, height, "a decoder refused the declared picture size")
    video = facts.video
    if video is None:
        if facts.audio is not None:
            return _refused(
                "audio_only",
                "Ce fichier ne contient que du son : il nous faut une vidéo." + _RETRY_FR,
                "This file only has sound: we need a video." + _RETRY_EN,
                f"no video stream; audio {facts.audio.codec}",
            )
        return reject_not_a_video(f"no video stream in {facts.format_name}")
    if facts.video_streams > 1:
        return _refused(
            "several_videos",
            "Ce fichier contient plusieurs pistes vidéo : envoyez une vidéo simple filmée "
            "avec votre téléphone." + _RETRY_FR,
            "This file has several video tracks: send a plain video from your phone." + _RETRY_EN,
            f"{facts.video_streams} video streams",
        )
    width, height = video.width, video.height
    if (
        min(width, height) < limits.min_side
        or max(width, height) > limits.max_side
        or width * height > limits.max_pixels
    ):
        return _reject_size(width, height, f"outside {limits.min_side}..{limits.max_side} px")
    if video.codec not in limits.video_codecs:
        if video.codec in {"mjpeg", "png", "gif", "webp", "bmp", "tiff"}:
            return reject_not_a_video(f"still-image codec {video.codec}", image=True)
        return _refused(
            "video_codec",
            "Cette vidéo est dans un format que nous ne savons pas lire." + _RETRY_FR,
            "This video is in a format we cannot read." + _RETRY_EN,
            f"video codec {video.codec!r} not in {sorted(limits.video_codecs)}",
        )
    if facts.audio is not None and facts.audio.codec not in limits.audio_codecs:
        return _refused(
            "audio_codec",
            "Le son de cette vidéo est dans un format que nous ne savons pas lire." + _RETRY_FR,
            "The sound of this video is in a format we cannot read." + _RETRY_EN,
            f"audio codec {facts.audio.codec!r} not in {sorted(limits.audio_codecs)}",
        )
    # The header's rate or the packets', whichever is higher: a header may understate it. The
    # packets' rate gets 2 % of slack (a frame more or less at either end of a short clip,
    # timestamp rounding): a phone's 240 fps clip measured at 240.4 is not an attack.
    frame_rate = max(video.frame_rate, round(facts.measured_frame_rate / _PACKET_RATE_SLACK, 3))
    if frame_rate and not (limits.min_frame_rate <= frame_rate <= limits.max_frame_rate):
        return _refused(
            "frame_rate",
            "La cadence d'images de cette vidéo est inhabituelle : nous ne pouvons pas la "
            "traiter." + _RETRY_FR,
            "This video's frame rate is unusual: we cannot process it." + _RETRY_EN,
            f"{frame_rate} fps (header {video.frame_rate}, packets "
            f"{facts.measured_frame_rate}) outside "
            f"{limits.min_frame_rate}..{limits.max_frame_rate}",
        )
    pixel_rate = width * height * frame_rate
    if pixel_rate > limits.max_pixel_rate:
        return _refused(
            "pixel_rate",
            "Cette vidéo est trop lourde à traiter : très grande image et très nombreuses "
            "images par seconde. Réglez l'appareil photo de votre téléphone sur 4K à 60 "
            "images par seconde (ou moins) et enregistrez-la à nouveau.",
            "This video is too heavy to process: a very large picture and very many frames "
            "per second. Set your phone's camera to 4K at 60 frames per second (or less) and "
            "record it again.",
            f"{width}x{height} at {frame_rate:g} fps = {pixel_rate / 1e6:.0f} Mpx/s > "
            f"{limits.max_pixel_rate / 1e6:.0f} Mpx/s",
        )
    duration = facts.duration
    if duration is None:
        return reject_damaged("no duration in the packets")
    if duration < limits.min_duration:
        return _refused(
            "too_short",
            f"Votre vidéo dure {_fr(_seconds_past(duration, limits.min_duration))} s : il faut "
            f"au moins {_fr(_seconds(limits.min_duration))} secondes." + _RETRY_FR,
            f"Your video lasts {_seconds_past(duration, limits.min_duration)} s: it must last at "
            f"least {_seconds(limits.min_duration)} seconds." + _RETRY_EN,
            f"duration {duration:.3f} s < {limits.min_duration} s",
        )
    if duration > limits.max_duration:
        return _refused(
            "too_long",
            f"Votre vidéo dure {_fr(_seconds_past(duration, limits.max_duration))} s : le maximum "
            f"est de {_fr(_seconds(limits.max_duration))} secondes. Raccourcissez-la ou "
            "enregistrez-en une plus courte.",
            f"Your video lasts {_seconds_past(duration, limits.max_duration)} s: the maximum is "
            f"{_seconds(limits.max_duration)} seconds. Trim it or record a shorter one.",
            f"duration {duration:.3f} s > {limits.max_duration} s"
            + _header_says(facts.header_duration),
        )
    flags = []
    if facts.audio is None:
        flags.append(Flag("no_audio", "Pas de son", "no audio stream"))
    return Verdict(True, flags=flags)


def _header_says(header_duration: float | None) -> str:
    """Staff detail: the length the container's header claimed, when it differs."""
    return f" (header said {header_duration:.3f} s)" if header_duration is not None else ""


def reject_over_budget(*, spent: float, budget: float) -> Verdict:
    """The connection this video came from used its day's media seconds (see media_budget)."""
    return _refused(
        "daily_budget",
        "Beaucoup de vidéos ont déjà été envoyées aujourd'hui depuis votre connexion : "
        "nous ne pouvons pas traiter celle-ci. Réessayez demain, ou depuis un autre réseau "
        "(par exemple les données mobiles de votre téléphone).",
        "Many videos have already been sent from your connection today: we cannot process "
        "this one. Try again tomorrow, or from another network (your phone's mobile data, "
        "for example).",
        f"client's media seconds today {spent:.0f} s + this video > {budget:.0f} s",
    )


def _reject_size(width: int, height: int, detail: str) -> Verdict:
    return _refused(
        "dimensions",
        "La taille d'image de cette vidéo est hors des limites que nous acceptons." + _RETRY_FR,
        "This video's picture size is outside the limits we accept." + _RETRY_EN,
        f"{width}x{height}: {detail}",
    )
