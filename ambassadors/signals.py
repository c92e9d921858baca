"""Signals other apps listen to (connected in their AppConfig.ready())."""

from django.dispatch import Signal

# Sent after the transaction that moved a testimonial commits.
# Arguments: testimonial_id (UUID), from_status (str), to_status (str).
# The employer kit listens to withdraw the kit assets of withdrawn testimonials (an unpublished
# one is only hidden, see employer_kit.receivers).
testimonial_status_changed = Signal()

# Sent inside the transaction that erases a testimonial, before its personal fields are
# emptied. Arguments: testimonial_id (UUID). Receivers anonymise what they made from it (the
# employer kit: its asset's title and credits, the download log, the admin's history of the
# asset); an exception rolls the erasure back and the purge task tries again.
testimonial_erasing = Signal()
