"""The kit's talking points and key figures as the documents lay them out (`documents`)."""

from collections.abc import Iterable

from django.utils import translation
from django.utils.translation import gettext as _

from campaigns.models import KeyFigure, localized

from .. import documents
from ..models import TalkingPoint


def points_data(points: Iterable[TalkingPoint]) -> list[documents.Point]:
    return [
        documents.Point(
            headline=point.headline,
            body=point.body,
            sources=documents.unique([figure_source(f) for f in point.key_figures.all()]),
            audience=point.get_audience_display(),
            sector=point.sector.display_name if point.sector else "",
            version=point.version,
            reviewed_on=point.reviewed_on,
        )
        for point in points
    ]


def figure_source(figure: KeyFigure) -> str:
    source = figure.source_name + (f", {figure.year}" if figure.year else "")
    return source + (f" ({figure.source_url})" if figure.source_url else "")


def figures_data(figures: Iterable[KeyFigure], language: str) -> list[documents.Figure]:
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
                documents.Figure(
                    value=figure.display_value,
                    label=localized(figure, "label"),
                    comparison=comparison,
                    source=figure_source(figure),
                )
            )
    return data
