from django.core.management.base import BaseCommand

from showcase.demo import seed_demo


class Command(BaseCommand):
    help = "Load the demo campaign, placements and kit assets; (re)set the admin password."

    def handle(self, *args, **options) -> None:
        credentials = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready. Admin login: {credentials['username']} / "
                f"{credentials['password']}"
            )
        )
