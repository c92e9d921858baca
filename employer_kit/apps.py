from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmployerKitConfig(AppConfig):
    name = "employer_kit"
    verbose_name = _("Kit employeur")

    def ready(self) -> None:
        from ambassadors.signals import testimonial_erasing, testimonial_status_changed

        from .receivers import anonymise_erased_testimonial, take_down_unpublished_testimonial

        testimonial_status_changed.connect(
            take_down_unpublished_testimonial, dispatch_uid="employer_kit.takedown"
        )
        testimonial_erasing.connect(
            anonymise_erased_testimonial, dispatch_uid="employer_kit.erasure"
        )
