"""The names of the ambassadors app's Celery tasks, defined once.

Services queue tasks by these names (`ambassadors.services.queue.task_queue_on_commit`):
the tasks import the services, so the services cannot import the tasks. The task decorators,
the routes and the beat schedule (`onprovence/settings.py`, checked by
tests/onprovence/test_beat_schedule.py) use the same names.
"""

# The media pipeline (queue `media`).
PROCESS = "ambassadors.process_testimonial"
RENDER_SOCIAL = "ambassadors.render_social_renditions"
REQUEUE_STUCK = "ambassadors.requeue_stuck_testimonials"
# The speech drafts (queue `speech`, docs/speech.md).
TRANSCRIBE = "ambassadors.transcribe_testimonial"

# The resident journey.
CONFIRMATION_EMAIL = "ambassadors.send_confirmation_email"
PARENT_NOTICE_EMAIL = "ambassadors.send_parent_notice_email"
PURGE = "ambassadors.purge_testimonial"
CLEANUP_LOCAL_UPLOADS = "ambassadors.cleanup_local_uploads"
PARENT_CONFIRMATIONS = "ambassadors.parent_confirmations"

# Moderation and publication.
PUBLISH_DUE = "ambassadors.publish_due_testimonials"
PUBLISH = "ambassadors.publish_testimonial"
TAKE_DOWN = "ambassadors.take_down_public_files"
PUBLIC_SWEEP = "ambassadors.reconcile_public_store"
DECISION_EMAIL = "ambassadors.email_moderation_decision"

# Retention (docs/PRIVACY.md).
RETENTION_ABANDONED = "ambassadors.retention_erase_abandoned"
RETENTION_REJECTED = "ambassadors.retention_erase_rejected"
RETENTION_CONSENT_ENDED = "ambassadors.retention_erase_consent_ended"
