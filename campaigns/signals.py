"""Signals campaigns sends to the apps above it (they connect in their AppConfig.ready()).

Campaigns knows nothing of the apps built on it: where it needs their figures, it asks
through a signal and adds up the answers.
"""

from django.dispatch import Signal

# Sent by `selectors.campaign_funnel` for the funnel's last step, which campaigns does not
# store: how many testimonials made through the campaign's placements were published, each
# day. Arguments: campaign (Campaign), start and end (dates, inclusive). A receiver returns an
# iterable of (placement_id, day, count); the answers of all receivers are added up.
funnel_published_counts = Signal()
