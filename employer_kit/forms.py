"""Forms of the recruiters' pages: they parse input and word the errors, nothing more."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from campaigns.models import Sector
from campaigns.selectors import sectors_all
from onprovence.text import single_line

from . import conf
from .models import Audience, CompanySize, KitAsset
from .services import logo_validate, siret_is_valid


def _capitalized(choices) -> list:
    """Labels of a select start with a capital ("Brochure"), translated when shown."""
    return [(value, capfirst(label)) for value, label in choices]


class SectorChoiceField(forms.ModelChoiceField):
    """An optional sector in service, sent by its slug and shown by its name in the page's
    language (English pages read `name_en`)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(queryset=sectors_all(), to_field_name="slug", required=False, **kwargs)

    def label_from_instance(self, obj: Sector) -> str:
        return obj.display_name


class KitFilterForm(forms.Form):
    """Browse the kit (GET): parameters in French, like the paths."""

    secteur = SectorChoiceField(label=_("Secteur"), empty_label=_("Tous les secteurs"))
    public = forms.ChoiceField(
        label=_("Public"),
        choices=[("", _("Tous les publics")), *_capitalized(Audience.choices[1:])],
        required=False,
    )
    type = forms.ChoiceField(
        label=_("Type de ressource"),
        choices=[("", _("Tous les types")), *_capitalized(KitAsset.Kind.choices)],
        required=False,
    )
    langue = forms.ChoiceField(
        label=_("Langue"),
        choices=[("", _("Toutes les langues")), ("fr", _("français")), ("en", _("anglais"))],
        required=False,
    )

    def filters(self) -> dict:
        """Selector arguments from the valid fields (an invalid value is simply ignored)."""
        data = {}
        if self.is_bound:
            self.is_valid()  # fills cleaned_data with the fields that are valid
            data = self.cleaned_data
        sector = data.get("secteur")
        return {
            "sector_slug": sector.slug if sector else None,
            "audience": data.get("public") or None,
            "kind": data.get("type") or None,
            "language": data.get("langue") or None,
        }


class IdentifyForm(forms.Form):
    company = forms.CharField(
        label=_("Entreprise"),
        max_length=160,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    email = forms.EmailField(
        label=_("E-mail professionnel"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Nous y envoyons un lien de connexion : pas de mot de passe."),
    )
    company_size = forms.ChoiceField(
        label=_("Taille de l'entreprise (facultatif)"),
        choices=[("", _("Non précisée")), *CompanySize.choices],
        required=False,
    )
    sector = SectorChoiceField(
        label=_("Secteur de l'entreprise (facultatif)"),
        empty_label=_("Non précisé"),
        help_text=_("Ces deux réponses nous aident à savoir quelles ressources servent à qui."),
    )
    siret = forms.CharField(
        label=_("SIRET (facultatif)"),
        required=False,
        max_length=20,
        help_text=_("14 chiffres."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_company(self) -> str:
        """One line (it is shown on the recruiter's sheet and to staff), 160 characters."""
        return single_line(self.cleaned_data["company"])

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if email.rsplit("@", 1)[-1] in conf.FREE_EMAIL_DOMAINS:
            raise forms.ValidationError(
                _("Indiquez votre adresse professionnelle, pas une messagerie personnelle.")
            )
        return email

    def clean_siret(self) -> str:
        siret = "".join(self.cleaned_data["siret"].split())
        if siret and not siret_is_valid(siret):
            raise forms.ValidationError(_("Ce numéro SIRET n'est pas valide (14 chiffres)."))
        return siret


class OnePagerForm(forms.Form):
    logo = forms.FileField(
        label=_("Logo de votre entreprise"),
        help_text=_("PNG, JPEG ou WebP, 2 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    sector = SectorChoiceField(label=_("Secteur"), empty_label=_("Tous secteurs"))
    language = forms.ChoiceField(
        label=_("Langue de la fiche"), choices=[("fr", _("français")), ("en", _("anglais"))]
    )
    careers_url = forms.URLField(
        label=_("Votre page carrières (facultatif)"),
        required=False,
        max_length=300,
        assume_scheme="https",
        help_text=_("Imprimée en bas de la fiche, par exemple https://www.exemple.fr/carrieres."),
        widget=forms.URLInput(attrs={"autocomplete": "url", "placeholder": "https://"}),
    )

    def clean_careers_url(self) -> str:
        """A web address (http or https) on one line: it is printed and linked on the sheet."""
        url = single_line(self.cleaned_data["careers_url"])
        if url and not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Indiquez une adresse web (https://…)."))
        return url

    def clean_logo(self) -> bytes:
        """The logo, checked and re-encoded as PNG (see services.logo_validate)."""
        return logo_validate(upload=self.cleaned_data["logo"])
