"""Recruiters' access: identify once, confirm the address by magic link, delete the account."""

import re
import secrets
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from onprovence.mail import email_build
from onprovence.storage import delete_prefix, private_storage

from .. import conf
from ..models import Recruiter

MAGIC_LINK_SALT = "employer_kit.magic-link"
SESSION_KEY = "employer_kit.recruiter"


class MagicLinkInvalid(Exception):
    """The link is tampered with, expired, already used, or its account is gone."""


def siret_is_valid(siret: str) -> bool:
    """14 digits with a Luhn checksum (La Poste's establishments use a digit sum rule)."""
    if not re.fullmatch(r"\d{14}", siret):
        return False
    if siret.startswith("356000000"):
        return sum(int(d) for d in siret) % 5 == 0
    total = 0
    for index, digit in enumerate(int(d) for d in reversed(siret)):
        if index % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def magic_link_token(*, recruiter: Recruiter) -> str:
    return signing.dumps({"r": str(recruiter.pk), "n": recruiter.login_nonce}, salt=MAGIC_LINK_SALT)


def recruiter_identify(
    *,
    company: str,
    email: str,
    siret: str = "",
    language: str = "fr",
    company_size: str = "",
    sector: Any = None,
) -> Recruiter:
    """Register (or find) a recruiter and email a magic link; nothing else changes before the
    address is confirmed, so a stranger cannot rename someone else's account."""
    email = email.strip().lower()
    fields = {
        "company": company.strip(),
        "siret": siret,
        "language": language,
        "company_size": company_size,
        "sector": sector,
    }
    recruiter, created = Recruiter.objects.get_or_create(email=email, defaults=fields)
    if not created and recruiter.confirmed_at is None:
        for name, value in fields.items():
            setattr(recruiter, name, value)
        recruiter.save(update_fields=list(fields))
    link = settings.SITE_URL + localized_path(
        reverse("employer_kit:confirm", args=[magic_link_token(recruiter=recruiter)]), language
    )
    email_build(
        to=[recruiter.email],
        subject=gettext_lazy("Votre accès au kit employeur One Provence"),
        template="employer_kit/email/magic_link",
        context={
            "recruiter": recruiter,
            "link": link,
            "minutes": conf.MAGIC_LINK_MAX_AGE_SECONDS // 60,
        },
        language=language,
        html=False,
        site_suffix=False,
    ).send()
    return recruiter


def _magic_link_data(token: str) -> dict:
    try:
        data = signing.loads(token, salt=MAGIC_LINK_SALT, max_age=conf.MAGIC_LINK_MAX_AGE_SECONDS)
    except signing.BadSignature as exc:
        raise MagicLinkInvalid(str(exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        raise MagicLinkInvalid("not a magic link")
    return data


def _magic_link_recruiter(data: dict, *, lock: bool) -> Recruiter:
    recruiters = Recruiter.objects.select_for_update() if lock else Recruiter.objects
    recruiter_id = data.get("r")
    recruiter = recruiters.filter(pk=recruiter_id).first() if recruiter_id is not None else None
    if recruiter is None or not secrets.compare_digest(recruiter.login_nonce, data["n"]):
        raise MagicLinkInvalid("link already used or account deleted")
    return recruiter


def recruiter_for_magic_link(*, token: str) -> Recruiter:
    """The recruiter a magic link would sign in, without using the link up.

    Opening the link (GET) only shows a confirm button: mail-security scanners that fetch every
    link of an email (Safe Links, Mimecast) must not burn it before the recruiter clicks.
    """
    return _magic_link_recruiter(_magic_link_data(token), lock=False)


def recruiter_confirm(*, token: str) -> Recruiter:
    """Confirm the address behind a magic link and use the link up (it works once)."""
    data = _magic_link_data(token)
    with transaction.atomic():
        recruiter = _magic_link_recruiter(data, lock=True)
        now = timezone.now()
        recruiter.confirmed_at = recruiter.confirmed_at or now
        recruiter.last_login_at = now
        recruiter.login_nonce = secrets.token_hex(16)
        recruiter.save(update_fields=["confirmed_at", "last_login_at", "login_nonce"])
    return recruiter


def recruiter_delete(*, recruiter_id: UUID | str) -> None:
    """Delete a recruiter's account, download log, logos and one-pagers."""
    recruiter = Recruiter.objects.filter(pk=recruiter_id).first()
    if recruiter is None:
        return
    prefix = recruiter.storage_prefix
    recruiter.delete()
    transaction.on_commit(lambda: delete_prefix(private_storage(), prefix))


def localized_path(path: str, language: str) -> str:
    """Paths are reversed in French (no prefix); English pages live under /en/."""
    if language.startswith("en") and not path.startswith("/en/"):
        return "/en" + path
    return path
