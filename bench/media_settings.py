"""Settings of bench/media_queue.py's media worker: production's, with the pipeline's design
read from the environment so one run can start a worker per design (issue 18)."""

from onprovence.settings import *  # noqa: F403

# True: review first (the public web rendition after approval); False: today's design.
AMBASSADORS_MEDIA_REVIEW_FIRST = env.bool("AMBASSADORS_MEDIA_REVIEW_FIRST", default=True)  # noqa: F405
