"""The kit's talking points and key figures as the documents lay them out (`documents`)."""

from collections.abc import Iterable

from django.utils import translation
from django.utils.translation import gettext as _

from campaigns.models import KeyFigure, localized

from ..documents.one_pager import Figure
from ..documents.talking_points import Point, unique
from ..models import TalkingPoint


def points_data(points: Iterable[TalkingPoint], language: str = "fr") -> list[Point]:
    """The points in `language`: a French point without its English text stays French, and its
    headline says so."""
    data = []
    with translation.override(language):
        for point in points:
            headline = point.display_headline
            if not point.reads_in_page_language:
                headline = f"{headline} ({_('en français : pas encore traduit')})"
            data.append(
                Point(
                    headline=headline,
                    body=point.display_body,
                    sources=unique(point_sources(point)),
                    audience=str(point.get_audience_display()),
                    sector=point.sector.display_name if point.sector else "",
                    version=point.version,
                    reviewed_on=point.reviewed_on,
                )
            )
    return data


def point_sources(point: TalkingPoint) -> list[str]:
    """Its own source first, then those of the key figures it quotes."""
    own = []
    if point.has_own_source:
        own = [
            f"{point.source_name}, {point.source_year}"
            + (f" ({point.source_url})" if point.source_url else "")
        ]
    return own + [figure_source(figure) for figure in point.key_figures.all()]


def figure_source(figure: KeyFigure) -> str:
    source = figure.source_name + (f", {figure.year}" if figure.year else "")
    return source + (f" ({figure.source_url})" if figure.source_url else "")


def figures_data(figures: Iterable[KeyFigure], language: str) -> list[Figure]:
    data = []
    with translation.override(language):
        for figure in figures:
            comparison = ""
            if figure.comparison_label:
                label = localized(figure, "comparison_label")
                if figure.comparison_value is not None:
                    versus = _("contre")
                    comparison = f"{versus} {figure.display_comparison_value} — {label}"
                else:
                    comparison = label
            data.append(
                Figure(
                    value=figure.display_value,
                    label=localized(figure, "label"),
                    comparison=comparison,
                    source=figure_source(figure),
                )
            )
    return data
