"""System checks: the media tools the workers need must be there; emails stay out of logs."""

import shutil

from django.conf import settings
from django.core.checks import Error, Warning, register


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


CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"


@register("security", deploy=True)
def check_email_backend(app_configs=None, **kwargs) -> list[Warning]:
    """In production emails never go to the console: the links they carry would be in the logs."""
    if settings.EMAIL_BACKEND != CONSOLE_EMAIL_BACKEND:
        return []
    return [
        Warning(
            "EMAIL_BACKEND is the console backend: magic links and residents' withdrawal "
            "links would be written to the process logs.",
            hint=(
                "Set EMAIL_BACKEND to django.core.mail.backends.smtp.EmailBackend (with "
                "EMAIL_HOST...) or to django.core.mail.backends.filebased.EmailBackend (with "
                "EMAIL_FILE_PATH)."
            ),
            id="onprovence.W001",
        )
    ]
