from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmployerKitConfig(AppConfig):
    name = "employer_kit"
    verbose_name = _("Kit employeur")
