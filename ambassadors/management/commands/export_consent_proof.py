"""`manage.py export_consent_proof <testimonial uuid> [--format json|pdf] [--output FILE]`."""

import json
import sys
import uuid

from django.core.management.base import BaseCommand, CommandError

from ambassadors.services.consent import (
    ConsentProofNotFound,
    consent_proof_export,
    consent_proof_pdf,
)


class Command(BaseCommand):
    help = (
        "Export one testimonial's proof of consent (version, date, choices, the exact text shown "
        "and its SHA-256) as JSON or PDF, to a file or to standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("testimonial", help="the testimonial's id (kept after erasure)")
        parser.add_argument("--format", choices=["json", "pdf"], default="json")
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args, testimonial: str, format: str, output: str | None, **options):
        try:
            testimonial_ref = uuid.UUID(testimonial)
        except ValueError as error:
            raise CommandError(f"Not a testimonial id: {testimonial!r}") from error
        try:
            if format == "pdf":
                data = consent_proof_pdf(testimonial_ref=testimonial_ref)
            else:
                proof = consent_proof_export(testimonial_ref=testimonial_ref)
                data = (json.dumps(proof, ensure_ascii=False, indent=2) + "\n").encode()
        except ConsentProofNotFound as error:
            raise CommandError(f"No proof of consent for testimonial {error}") from error
        if output:
            with open(output, "wb") as file:
                file.write(data)
            self.stderr.write(f"Proof of consent written to {output}")
        elif format == "json":
            self.stdout.write(data.decode(), ending="")
        else:
            sys.stdout.buffer.write(data)
