"""The Celery application: settings come from Django's (CELERY_* names).

Media work runs on the `media` queue (tasks declare `queue="media"`), everything else on
`default`. Start a worker for both with `celery -A onprovence worker -Q default,media`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onprovence.settings")

app = Celery("onprovence")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="onprovence.ping", ignore_result=False)
def ping() -> str:
    """Answer "pong": proves a worker picks tasks from the broker (health and smoke tests)."""
    return "pong"
