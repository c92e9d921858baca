"""The "about you and consent" form of the resident journey."""

from django import forms
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from ambassadors.services.journey import AboutYou
from campaigns.models import Sector
from campaigns.selectors import sectors_all
from onprovence.text import single_line, without_links

PLACEMENT_SALT = "ambassadors.journey-placement"
# How long a consent form stays valid once displayed (a slow resident, not a replay).
FORM_MAX_AGE_SECONDS = 6 * 3600


class AgeGroup:
    ADULT = "adult"
    MINOR = "15-17"
    CHILD = "under-15"
    CHOICES = [
        (ADULT, _("18 ans ou plus")),
        (MINOR, _("Entre 15 et 17 ans")),
        (CHILD, _("Moins de 15 ans")),
    ]


# Said to a resident who answers "under 15", on the page (journey-consent.js) or by the server.
CHILD_REFUSAL = _(
    "Merci beaucoup pour votre envie de participer ! Pour protéger les plus "
    "jeunes, ce projet est ouvert à partir de 15 ans. Vous pouvez en parler à vos "
    "parents : eux aussi ont sûrement quelque chose à raconter sur la région."
)


def journey_token(placement_code: str) -> str:
    """Sign the placement a journey came from, with the time the form was shown."""
    return signing.TimestampSigner(salt=PLACEMENT_SALT).sign(placement_code or "-")


def journey_placement_code(token: str) -> str:
    """Return the placement code of a journey token ("" for none); raise BadSignature."""
    code = signing.TimestampSigner(salt=PLACEMENT_SALT).unsign(token, max_age=FORM_MAX_AGE_SECONDS)
    return "" if code == "-" else code


OTHER_SECTOR = "autre"

# Bidi controls (LRM/RLM, embeddings, overrides, isolates) and zero-width characters: invisible,
# they can reverse or disguise a name shown beside a video, and never belong in one.
INVISIBLE_IN_NAMES = dict.fromkeys(
    [
        0x061C,
        0x200B,
        0x200C,
        0x200D,
        0x200E,
        0x200F,
        0x2060,
        0xFEFF,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)


def name_without_invisible(value: str) -> str:
    """The name as typed, minus bidi controls and zero-width characters, stripped."""
    return value.translate(INVISIBLE_IN_NAMES).strip()


class ConsentForm(forms.Form):
    first_name = forms.CharField(
        label=_("Prénom (affiché avec la vidéo)"), max_length=60, strip=True
    )
    last_name = forms.CharField(
        label=_("Nom (facultatif, jamais affiché)"), max_length=80, required=False
    )
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        help_text=_(
            "Pour vous confirmer la réception et vous permettre de retirer la vidéo. "
            "Jamais affichée."
        ),
    )
    commune = forms.CharField(label=_("Commune où vous vivez"), max_length=80)
    sector = forms.ChoiceField(label=_("Votre secteur"))
    job_title = forms.CharField(label=_("Métier (facultatif)"), max_length=100, required=False)
    age_group = forms.ChoiceField(
        label=_("Votre âge"), choices=AgeGroup.CHOICES, widget=forms.RadioSelect
    )
    parental_consent = forms.BooleanField(
        label=_(
            "Un de mes parents (ou mon représentant légal) est d'accord pour que j'envoie "
            "cette vidéo."
        ),
        required=False,
    )
    parent_email = forms.EmailField(
        label=_("E-mail de ce parent"),
        required=False,
        help_text=_("Nous l'informons de votre participation."),
    )
    release = forms.BooleanField(
        label=_("J'ai lu l'autorisation de diffusion ci-dessus et je l'accepte."),
        error_messages={"required": _("Cochez cette case pour pouvoir envoyer votre vidéo.")},
    )
    journey = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sectors = {sector.slug: sector for sector in sectors_all()}
        self.fields["sector"].choices = [
            ("", _("Choisir…")),
            *[(slug, sector.display_name) for slug, sector in self.sectors.items()],
            (OTHER_SECTOR, _("Autre secteur")),
        ]
        self.fields["first_name"].widget.attrs.update(autocomplete="given-name")
        self.fields["last_name"].widget.attrs.update(autocomplete="family-name")
        self.fields["email"].widget.attrs.update(autocomplete="email", inputmode="email")
        self.fields["commune"].widget.attrs.update(autocomplete="address-level2")
        self.fields["job_title"].widget.attrs.update(autocomplete="organization-title")
        self.fields["parent_email"].widget.attrs.update(autocomplete="off", inputmode="email")

    def _clean_name(self, field: str) -> str:
        value = single_line(name_without_invisible(self.cleaned_data[field]))
        if self.fields[field].required and not value:
            raise forms.ValidationError(self.fields[field].error_messages["required"])
        return value

    def clean_first_name(self) -> str:
        # It is written into the email a parent receives: never text a mail client links.
        return without_links(self._clean_name("first_name"))

    def clean_last_name(self) -> str:
        return self._clean_name("last_name")

    def clean_commune(self) -> str:
        return self._clean_name("commune")

    def clean_sector(self) -> Sector | None:
        """The chosen sector, or None for "another sector"."""
        return self.sectors.get(self.cleaned_data["sector"])

    def clean_journey(self) -> str:
        try:
            return journey_placement_code(self.cleaned_data["journey"])
        except signing.BadSignature as exc:
            raise forms.ValidationError(
                _("Ce formulaire a expiré. Rechargez la page pour recommencer."), code="expired"
            ) from exc

    def about_you(self) -> AboutYou:
        """What the resident said of themselves (a valid form's), as the journey takes it."""
        data = self.cleaned_data
        return {
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "commune": data["commune"],
            "sector": data["sector"],
            "job_title": data["job_title"],
        }

    def clean(self) -> dict:
        data = super().clean()
        age_group = data.get("age_group")
        if age_group == AgeGroup.CHILD:
            raise forms.ValidationError(CHILD_REFUSAL, code="too_young")
        if age_group == AgeGroup.MINOR:
            if not data.get("parental_consent"):
                self.add_error(
                    "parental_consent",
                    _("Entre 15 et 17 ans, l'accord d'un parent est nécessaire."),
                )
            if not data.get("parent_email"):
                self.add_error("parent_email", _("Indiquez l'adresse e-mail de ce parent."))
            elif data.get("email") and data["parent_email"].lower() == data["email"].lower():
                self.add_error(
                    "parent_email", _("Indiquez l'adresse de votre parent, pas la vôtre.")
                )
        return data


def consent_form_after_refusal(form: ConsentForm) -> ConsentForm | None:
    """After the under-15 refusal, a blank form for the same journey: nothing a child typed is
    kept, shown again or sent again (None when the form was not refused for age)."""
    if not form.has_error(NON_FIELD_ERRORS, code="too_young"):
        return None
    try:
        code = journey_placement_code(str(form.data.get("journey", "")))
    except signing.BadSignature:
        code = ""
    return ConsentForm(initial={"journey": journey_token(code)})
