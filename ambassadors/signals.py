"""Signals other apps listen to (connected in their AppConfig.ready())."""

from django.dispatch import Signal

# Sent after the transaction that moved a testimonial commits.
# Arguments: testimonial_id (UUID), from_status (str), to_status (str).
# The employer kit listens to take down kit assets of withdrawn or unpublished testimonials.
testimonial_status_changed = Signal()
