"""The beat schedule lives in one place: settings.CELERY_BEAT_SCHEDULE (issue 14).

Before, five task modules wrote their entries into `current_app.conf.beat_schedule` when they
were imported: the schedule beat ran depended on which modules had been imported, and a task
renamed in its decorator left a schedule entry naming a task that did not exist.
"""

import ast
import importlib
from pathlib import Path

from django.conf import settings

from ambassadors import task_names
from onprovence.celery import app

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ("ambassadors", "campaigns", "employer_kit", "onprovence")
TASK_MODULES = ("ambassadors.tasks", "campaigns.tasks", "employer_kit.tasks")

# Every task that runs on a timer, with the setting (or fixed figure) of its interval.
PERIODIC = {
    task_names.PUBLISH_DUE: 60.0,
    task_names.PUBLIC_SWEEP: "AMBASSADORS_PUBLIC_SWEEP_INTERVAL_SECONDS",
    task_names.REQUEUE_STUCK: "AMBASSADORS_MEDIA_SWEEP_INTERVAL_SECONDS",
    task_names.CLEANUP_LOCAL_UPLOADS: 3600.0,
    task_names.PARENT_CONFIRMATIONS: 3600.0,
    task_names.RETENTION_ABANDONED: "AMBASSADORS_RETENTION_SWEEP_INTERVAL_SECONDS",
    task_names.RETENTION_REJECTED: "AMBASSADORS_RETENTION_SWEEP_INTERVAL_SECONDS",
    task_names.RETENTION_CONSENT_ENDED: "AMBASSADORS_RETENTION_SWEEP_INTERVAL_SECONDS",
    "campaigns.flush_scan_counts": 60.0,
}


def _registered_tasks() -> set[str]:
    for module in TASK_MODULES:
        importlib.import_module(module)
    return set(app.tasks)


def test_every_periodic_task_is_in_the_settings_schedule_at_its_interval():
    scheduled = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert set(scheduled) == set(PERIODIC)
    for task, interval in PERIODIC.items():
        expected = getattr(settings, interval) if isinstance(interval, str) else interval
        assert scheduled[task] == expected, task


def test_each_schedule_entry_names_a_registered_task():
    registered = _registered_tasks()
    missing = [
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] not in registered
    ]
    assert not missing


def test_importing_the_task_modules_adds_nothing_to_the_schedule():
    _registered_tasks()
    assert dict(app.conf.beat_schedule) == settings.CELERY_BEAT_SCHEDULE


def test_no_module_edits_the_beat_schedule():
    """No application module names `beat_schedule` (settings' CELERY_BEAT_SCHEDULE is the one)."""
    editors = []
    for name in APPS:
        for path in (ROOT / name).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Attribute) and node.attr == "beat_schedule":
                    editors.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not editors


def test_every_ambassadors_task_is_named_in_task_names():
    """A task's name is written once: in ambassadors/task_names.py, used by its decorator."""
    names = {value for key, value in vars(task_names).items() if key.isupper()}
    ours = {task for task in _registered_tasks() if task.startswith("ambassadors.")}
    assert ours == names
