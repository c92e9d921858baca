"""The showcase tests use the campaigns tests' fixtures: a live campaign, published testimonials."""

from tests.campaigns.conftest import live_campaign, make_testimonial  # noqa: F401
