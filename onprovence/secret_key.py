"""The secret key a production process starts with: its own, long, never one that is published.

Everything residents and recruiters hold is signed with it (status and withdrawal links, magic
links, upload sessions, private media links): whoever knows the key can withdraw any testimonial.
settings.py calls `secret_key_refusal` when DEBUG is off and stops the process on an answer.
"""

from django.core.exceptions import ImproperlyConfigured

# Used by `make run` and the tests (DEBUG on); a process with DEBUG off refuses it.
DEVELOPMENT_SECRET_KEY = (
    "dev-only-insecure-key-set-DJANGO_SECRET_KEY-in-production-0123456789abcdef"  # noqa: S105
)

# Every key ever written in this repository (settings, compose, Dockerfile, docs, tests): anyone
# can read them, so none can sign anything in production. tests/onprovence/test_secret_key.py
# fails when a new one is written without being added here.
PUBLISHED_SECRET_KEYS = frozenset(
    {
        DEVELOPMENT_SECRET_KEY,
        "change-me-to-a-long-random-value-before-any-real-use-0123456789",
        "x7Qv9-KpL2mN8rT4wZ6yB1cD3fG5hJ0sA_eU7iO9pQ2rS4tV6xY8zW1uE3nM5bC",
        "collectstatic-only",
    }
)

MIN_LENGTH = 50
MIN_UNIQUE_CHARACTERS = 5
HOW_TO_MAKE_ONE = (
    'make one with: python -c "import secrets; print(secrets.token_urlsafe(50))" '
    "(README.md, Configuration)"
)


def secret_key_refusal(value: str | None, *, variable: str) -> str | None:
    """Why `value` cannot sign production data, or None when it can."""
    if not value:
        return f"{variable} is not set: with DJANGO_DEBUG=false the platform needs its own key; "
    if value.strip() in PUBLISHED_SECRET_KEYS:
        return f"{variable} is a key published in the repository: anyone can sign with it; "
    if len(value) < MIN_LENGTH or len(set(value)) < MIN_UNIQUE_CHARACTERS:
        return (
            f"{variable} is too weak ({len(value)} characters): it needs at least {MIN_LENGTH}, "
            f"random; "
        )
    return None


def secret_key_validate(*, secret_key: str | None, fallbacks: list[str]) -> None:
    """Raise ImproperlyConfigured naming the variable whose key cannot be used in production.

    Fallbacks verify old signatures (rotation), so a published or weak one is as bad as a
    published key: it is refused too.
    """
    reasons = [secret_key_refusal(secret_key, variable="DJANGO_SECRET_KEY")]
    reasons += [
        secret_key_refusal(fallback, variable="DJANGO_SECRET_KEY_FALLBACKS")
        for fallback in fallbacks
    ]
    reason = next((r for r in reasons if r), None)
    if reason:
        raise ImproperlyConfigured(reason + HOW_TO_MAKE_ONE)
