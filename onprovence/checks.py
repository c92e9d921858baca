"""System checks: the media tools the workers need must be there."""

import shutil

from django.conf import settings
from django.core.checks import Error, register


@register("media")
def check_media_tools(app_configs=None, **kwargs) -> list[Error]:
    """Name each missing ffmpeg tool and how to get it."""
    errors = []
    for setting, tool in (("FFMPEG_BINARY", "ffmpeg"), ("FFPROBE_BINARY", "ffprobe")):
        path = getattr(settings, setting)
        if not shutil.which(path):
            errors.append(
                Error(
                    f"{tool} not found (settings.{setting} = {path!r}).",
                    hint=(
                        f"Install it (Debian/Ubuntu: `apt-get install ffmpeg`; macOS: "
                        f"`brew install ffmpeg`) or set the {setting} environment variable "
                        f"to the path of the {tool} executable. `make setup` installs it "
                        f"when run as root on Debian."
                    ),
                    id=f"onprovence.E00{1 if tool == 'ffmpeg' else 2}",
                )
            )
    return errors
