"""The documents' words: French msgids, English in locale/. They are not rendered in a request,
so `words` activates the document's language."""

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

WORDS = {
    # French sets a space before the colon, English does not.
    "colon": pgettext_lazy("between a label and its value", " : "),
    "title": _("Pourquoi nous rejoindre à Aix-Marseille-Provence ?"),
    "hiring": _("%(company)s recrute — filière %(sector)s"),
    "hiring_all": _("%(company)s recrute en Provence"),
    "figures": _("La région en chiffres"),
    "source": _("Source"),
    "sector": _("%(sector)s : pourquoi ici"),
    "points": _("Ce que nous disons aux talents"),
    "footer": _("Kit employeur One Provence · Tous Ambassadeurs · %(day)s"),
    "voices": _("Ils vivent et travaillent ici"),
    "scan": _("Scannez pour voir leurs témoignages vidéo"),
    "careers": _("Nos offres d'emploi"),
    "points_title": _("Éléments de langage — Kit employeur One Provence"),
    "audience": _("Public"),
    "sector_label": _("Secteur"),
    "version": _("version"),
    "reviewed": _("relu le"),
    "sources": _("Sources"),
    "readme_title": _("Kit employeur One Provence"),
    "readme_intro": _(
        "Archive générée le %(day)s. Chaque fichier est listé avec ses crédits et ses "
        "droits d'usage : respectez-les. Si une ressource est retirée du kit (par "
        "exemple un témoignage dont l'auteur retire son accord), vous recevrez un avis "
        "de retrait par e-mail : cessez alors de l'utiliser."
    ),
    "readme_files": _("Fichiers"),
    "credits": _("Crédits"),
    "rights": _("Droits d'usage"),
    "until": _("Utilisable jusqu'au"),
    "readme_points": _(
        "Les éléments de langage sont dans talking-points.md, talking-points.pdf et "
        "talking-points.docx."
    ),
}


def words(language: str) -> dict[str, str]:
    """The documents' words in `language` (French unless it is English)."""
    with translation.override("en" if language.startswith("en") else "fr"):
        return {key: str(text) for key, text in WORDS.items()}
