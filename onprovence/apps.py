from django.apps import AppConfig


class OnProvenceConfig(AppConfig):
    name = "onprovence"
    verbose_name = "One Provence"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
