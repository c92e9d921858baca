"""Signals other apps listen to (connected in their AppConfig.ready())."""

from django.dispatch import Signal

# Sent after the transaction that moved a testimonial commits.
# Arguments: testimonial_id (UUID), from_status (str), to_status (str).
# The employer kit listens to withdraw the kit assets of withdrawn testimonials (an unpublished
# one is only hidden, see employer_kit.receivers).
testimonial_status_changed = Signal()
