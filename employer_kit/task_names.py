"""The names of the employer kit's Celery tasks, defined once.

The services queue the tasks by these names; the tasks (`employer_kit.tasks`) import the
services, so the services never import the tasks. The task decorators and the routes
(`CELERY_TASK_ROUTES`) use the same names.
"""

# Queue `media`.
ANALYSE_KIT_ASSET = "employer_kit.analyse_kit_asset"
# Queue `default`.
SEND_TAKEDOWN_NOTICE = "employer_kit.send_takedown_notice"
