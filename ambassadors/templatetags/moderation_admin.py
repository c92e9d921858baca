from django import template

from ambassadors import selectors

register = template.Library()


@register.simple_tag
def moderation_queue_count() -> int:
    """How many testimonials wait for a moderator (shown on the admin index)."""
    return selectors.moderation_queue_count()
