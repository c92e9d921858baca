"""docs/PRIVACY.md states the retention periods the code enforces (they cannot drift apart)."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
DOC = ROOT / "docs" / "PRIVACY.md"
CONF_MODULES = (ROOT / "ambassadors" / "conf.py", ROOT / "employer_kit" / "conf.py")
SETTINGS = ROOT / "onprovence" / "settings.py"
UNITS = {"DAYS": "day", "HOURS": "hour", "MONTHS": "month", "SECONDS": "second"}


def _retention_rows() -> list[tuple[str, str]]:
    """(kept for, setting) of each row of the retention table that names a setting."""
    section = DOC.read_text().split("### Retention", 1)[1].split("\n### ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or set(cells[0]) <= {"-", " "} or cells[0] == "data":
            continue
        setting = re.search(r"`([\w.]+)`", cells[3])
        if setting:
            rows.append((cells[1], setting.group(1)))
    return rows


def _default(name: str) -> int | float:
    """The one default of a setting: `_setting("NAME", <arithmetic>)` in a conf module, or
    `env.float("NAME", default=<number>)` in onprovence/settings.py."""
    for module in CONF_MODULES:
        found = re.search(rf'_setting\(\s*"{name}",\s*([^)]*?)\s*\)', module.read_text())
        if found:
            expression = ast.parse(found.group(1), mode="eval")
            allowed = (
                ast.Expression,
                ast.BinOp,
                ast.UnaryOp,
                ast.Constant,
                ast.operator,
                ast.unaryop,
            )
            assert all(isinstance(node, allowed) for node in ast.walk(expression))
            return eval(compile(expression, "<default>", "eval"), {"__builtins__": {}})
    # The few defaults onprovence/settings.py holds (those the beat schedule needs).
    found = re.search(
        rf'env\.(?:int|float)\(\s*"{name}",\s*default=([^)]*?)\s*\)', SETTINGS.read_text()
    )
    if found:
        return ast.literal_eval(found.group(1))
    raise AssertionError(f"{name} is named in docs/PRIVACY.md but no conf module reads it")


def _figure(kept_for: str) -> tuple[float, str]:
    found = re.search(r"(\d+(?:[.,]\d+)?)\s+(day|hour|month|second)s?\b", kept_for)
    assert found, f"no figure in {kept_for!r}"
    return float(found.group(1).replace(",", ".")), found.group(2)


def test_the_record_has_a_retention_table_naming_the_settings():
    names = {setting for _, setting in _retention_rows()}
    assert {
        "AMBASSADORS_RETENTION_ABANDONED_DAYS",
        "AMBASSADORS_RETENTION_REJECTED_DAYS",
        "AMBASSADORS_UPLOAD_ABANDON_AFTER_HOURS",
        "ConsentText.duration_months",
    } <= names
    # A retention setting added to the code must be added to the record too.
    in_code = {
        name
        for module in CONF_MODULES
        for name in re.findall(
            r'_setting\(\s*"(\w*RETENTION\w*_(?:DAYS|HOURS|MONTHS))"', module.read_text()
        )
    }
    assert in_code <= names


@pytest.mark.parametrize("kept_for,setting", _retention_rows(), ids=lambda value: value[:40])
def test_each_retention_figure_is_the_setting_default(kept_for, setting):
    figure, unit = _figure(kept_for)
    if setting == "ConsentText.duration_months":
        from ambassadors.models import ConsentText

        default = ConsentText._meta.get_field("duration_months").default
        assert (figure, unit) == (default, "month")
        return
    assert unit == UNITS[setting.rsplit("_", 1)[1]], f"{setting} is in {unit}s in the doc"
    assert figure == _default(setting), f"docs/PRIVACY.md says {kept_for!r} for {setting}"


@pytest.mark.django_db
def test_the_seeded_consent_text_says_the_same_duration():
    from ambassadors.models import ConsentText

    text = ConsentText.objects.get(is_current=True)
    months = ConsentText._meta.get_field("duration_months").default
    assert text.duration_months == months
    assert f"{months} mois" in text.body


def test_the_sweep_interval_is_the_one_the_record_states():
    assert _default("AMBASSADORS_RETENTION_SWEEP_INTERVAL_SECONDS") == 3600
    assert "each hour by\n`AMBASSADORS_RETENTION_SWEEP_INTERVAL_SECONDS`" in DOC.read_text()
