from django.core.management.base import BaseCommand

from ambassadors.upload_backends import uploads_configure_bucket


class Command(BaseCommand):
    help = (
        "Set the private bucket's CORS rule (browser part uploads) and its lifecycle rule "
        "that aborts abandoned multipart uploads."
    )

    def handle(self, *args, **options) -> None:
        if uploads_configure_bucket(force=True):
            self.stdout.write("Upload bucket configured.")
        else:
            self.stdout.write("Local storage: nothing to configure.")
