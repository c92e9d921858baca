"""Signed links sent to residents: follow their testimonial's status, or withdraw it.

The token carries only the testimonial's id, signed; it never expires (a resident may withdraw
months later) and it cannot be forged. Paths (served by ambassadors.urls):
  /ambassadeurs/suivi/<token>/    status page
  /ambassadeurs/retrait/<token>/  withdrawal (asks for confirmation)
English pages carry the /en prefix.
"""

from uuid import UUID

from django.conf import settings
from django.core import signing

SALT = "ambassadors.resident-link"


def resident_token(testimonial_id: UUID | str) -> str:
    return signing.dumps(str(testimonial_id), salt=SALT)


def read_resident_token(token: str) -> UUID:
    """Return the testimonial id in a token; raise signing.BadSignature when forged."""
    return UUID(signing.loads(token, salt=SALT))


def _prefix(language: str) -> str:
    return "/en" if language.startswith("en") else ""


def _url(kind: str, testimonial_id: UUID | str, language: str) -> str:
    prefix = _prefix(language)
    return f"{settings.SITE_URL}{prefix}/ambassadeurs/{kind}/{resident_token(testimonial_id)}/"


def site_home_url(language: str = "fr") -> str:
    """The campaign's home page in the resident's language (the signature of every email)."""
    return f"{settings.SITE_URL}{_prefix(language)}/"


def resident_status_url(testimonial_id: UUID | str, language: str = "fr") -> str:
    return _url("suivi", testimonial_id, language)


def resident_withdraw_url(testimonial_id: UUID | str, language: str = "fr") -> str:
    return _url("retrait", testimonial_id, language)
