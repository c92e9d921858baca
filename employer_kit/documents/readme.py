"""The README.md of an archive: every file with its credits and usage rights."""

from dataclasses import dataclass
from datetime import date

from onprovence.text import markdown_code, markdown_escape

from .words import words


@dataclass(frozen=True)
class ArchiveEntry:
    path: str
    title: str
    kind: str
    credits: str
    usage_rights: str
    available_until: date | None
    version: int


def archive_readme(entries: list[ArchiveEntry], *, language: str, day: date) -> str:
    """The README.md of an archive: every file with its credits and usage rights.

    Titles, credits and rights are typed by staff (a testimonial's title by a resident): they
    are escaped, so a viewer shows them as typed, never as links, headings or HTML.
    """
    w = words(language)
    md = markdown_escape
    lines = [f"# {w['readme_title']}", "", w["readme_intro"] % {"day": day.isoformat()}, ""]
    lines += [f"## {w['readme_files']}", ""]
    for entry in entries:
        lines.append(f"### {markdown_code(entry.path)}")
        lines.append("")
        lines.append(f"- {md(entry.title)} ({md(entry.kind)}, {w['version']} {entry.version})")
        lines.append(f"- {w['credits']}{w['colon']}{md(entry.credits or 'One Provence')}")
        lines.append(f"- {w['rights']}{w['colon']}{md(entry.usage_rights)}")
        if entry.available_until:
            lines.append(f"- {w['until']}{w['colon']}{entry.available_until.isoformat()}")
        lines.append("")
    lines += [w["readme_points"], ""]
    return "\n".join(lines)
