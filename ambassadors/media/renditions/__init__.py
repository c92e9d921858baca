"""ffmpeg argument lists for the renditions (pure functions of the probe, no ORM): the one
place for the ffmpeg argument builders.

The moderation pass decodes the upload once and, from that one decode, writes the web MP4, the
poster (JPEG and WebP), the animated preview for the admin list, runs the automatic checks
(black, frozen, silence, loudness) on small copies of the frames and samples those copies for
the perceptual signature: one ffmpeg process, no second read of the file.

- `encoding`: what every pass shares (web spec, sizes, rotation, H.264/AAC outputs, loudness);
- `checks`, `poster`: what a review pass makes beside the video (checks; posters, preview),
  and the early poster grabbed before it;
- `web`: the moderation pass and the approval-time web rendition;
- `review`: review first (the review file, remuxed or a fast rendition, and its rule);
- `social`: the social cuts.
"""

from .checks import CheckSpec
from .encoding import (
    WebSpec,
    capped_input,
    even,
    ffmpeg_head,
    fit_size,
    h264_options,
    output_cap,
    output_frame_rate,
    rotation_filters,
)
from .poster import ModerationOutputs, early_poster_command
from .review import (
    PLAYABLE_AUDIO,
    PLAYABLE_PIXEL_FORMATS,
    PLAYABLE_PROFILES,
    PLAYABLE_VIDEO,
    WEB_FOR_REVIEW,
    WEB_PUBLIC,
    ReviewPlan,
    ReviewSpec,
    review_command,
    review_filtergraph,
    review_plan,
    stream_bit_rate,
    web_rendition_pending,
)
from .social import (
    CROP_MAX_ASPECT_RATIO,
    SOCIAL_FORMATS,
    Branding,
    ffmpeg_colour,
    social_command,
    social_filtergraph,
    social_mode,
    social_size,
)
from .web import moderation_command, moderation_filtergraph, web_command

__all__ = [
    "CROP_MAX_ASPECT_RATIO",
    "PLAYABLE_AUDIO",
    "PLAYABLE_PIXEL_FORMATS",
    "PLAYABLE_PROFILES",
    "PLAYABLE_VIDEO",
    "SOCIAL_FORMATS",
    "WEB_FOR_REVIEW",
    "WEB_PUBLIC",
    "Branding",
    "CheckSpec",
    "ModerationOutputs",
    "ReviewPlan",
    "ReviewSpec",
    "WebSpec",
    "capped_input",
    "early_poster_command",
    "even",
    "ffmpeg_colour",
    "ffmpeg_head",
    "fit_size",
    "h264_options",
    "moderation_command",
    "moderation_filtergraph",
    "output_cap",
    "output_frame_rate",
    "review_command",
    "review_filtergraph",
    "review_plan",
    "rotation_filters",
    "social_command",
    "social_filtergraph",
    "social_mode",
    "social_size",
    "stream_bit_rate",
    "web_command",
    "web_rendition_pending",
]
