"""Signed links sent to residents: follow their testimonial's status, or withdraw it.

The token carries only the testimonial's id, signed; it never expires (a resident may withdraw
months later) and it cannot be forged. Paths (served by ambassadors.urls):
  /ambassadeurs/suivi/<token>/    status page
  /ambassadeurs/retrait/<token>/  withdrawal (asks for confirmation)
English pages carry the /en prefix.

A minor's parent gets a link of their own (another salt: a resident's token is no parent's token,
and a parent's is no resident's), dated, so a page can tell an expired one:
  /ambassadeurs/parent/<token>/   confirm the consent, or withdraw the testimonial
"""

import datetime
from uuid import UUID

from django.conf import settings
from django.core import signing

SALT = "ambassadors.resident-link"
PARENT_SALT = "ambassadors.parent-link"


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


class _DatedSigner(signing.TimestampSigner):
    """A timestamp signer whose time can be set (a test dates a link in the past)."""

    def __init__(self, *, salt: str, issued_at: datetime.datetime | None) -> None:
        super().__init__(salt=salt)
        self.issued_at = issued_at

    def timestamp(self) -> str:
        if self.issued_at is None:
            return super().timestamp()
        return signing.b62_encode(int(self.issued_at.timestamp()))


def parent_token(testimonial_id: UUID | str, *, issued_at: datetime.datetime | None = None) -> str:
    return _DatedSigner(salt=PARENT_SALT, issued_at=issued_at).sign_object(str(testimonial_id))


def read_parent_token(token: str) -> tuple[UUID, datetime.datetime]:
    """Return the testimonial id in a parent's token and when it was issued.

    Raise signing.BadSignature when forged (or when it is a resident's token).
    """
    signer = signing.TimestampSigner(salt=PARENT_SALT)
    testimonial_id = UUID(signer.unsign_object(token))
    # The signature holds (checked above): the timestamp is the last field before it.
    stamp = signing.Signer.unsign(signer, token).rsplit(signer.sep, 1)[1]
    issued_at = datetime.datetime.fromtimestamp(signing.b62_decode(stamp), tz=datetime.UTC)
    return testimonial_id, issued_at


def parent_url(
    testimonial_id: UUID | str, language: str = "fr", *, issued_at: datetime.datetime | None = None
) -> str:
    token = parent_token(testimonial_id, issued_at=issued_at)
    return f"{settings.SITE_URL}{_prefix(language)}/ambassadeurs/parent/{token}/"
