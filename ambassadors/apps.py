from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AmbassadorsConfig(AppConfig):
    name = "ambassadors"
    verbose_name = _("Tous Ambassadeurs")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal receivers)
