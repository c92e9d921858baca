"""`manage.py reconcile_public_store [--dry-run] [--max N]`: the public-store sweep, by hand."""

from django.core.management.base import BaseCommand, CommandError

from ambassadors import keys
from ambassadors.services.publication import public_store_reconcile
from onprovence.storage import TransientStorageError


class Command(BaseCommand):
    help = (
        "Take down the public copies of every testimonial that is not published (after an "
        "outage of the broker or the store lost take-down tasks); --dry-run only lists them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")
        parser.add_argument(
            "--max", type=int, default=None, help="take down at most this many (default: setting)"
        )

    def handle(self, *args, dry_run: bool, max: int | None, **options) -> None:
        try:
            report = public_store_reconcile(dry_run=dry_run, max_take_downs=max)
        except TransientStorageError as error:
            raise CommandError(f"The public store did not answer: {error}") from error
        verb = "would take down" if dry_run else "taken down"
        for testimonial_id, status in report.taken_down.items():
            where = keys.testimonial_prefix(testimonial_id)
            self.stdout.write(f"{verb}: {where}/ ({status or 'no testimonial'})")
        for testimonial_id in report.in_grace:
            self.stdout.write(f"kept (being published): {keys.testimonial_prefix(testimonial_id)}/")
        for name in report.not_testimonials:
            self.stdout.write(f"left alone (not a testimonial id): {keys.FOLDER}/{name}/")
        for testimonial_id in report.failed:
            self.stderr.write(f"failed: {keys.testimonial_prefix(testimonial_id)}/")
        self.stdout.write(("Dry run: " if dry_run else "") + report.summary() + ".")
