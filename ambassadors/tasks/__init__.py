"""Celery tasks of the ambassadors app, one module per concern (found by autodiscovery here).

Each task is an API: it takes a testimonial id, loads the row, calls a service.
"""

from . import journey, moderation, parents, processing, retention, speech

__all__ = ["journey", "moderation", "parents", "processing", "retention", "speech"]
