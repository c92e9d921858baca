"""The ambassadors admin. Importing the modules registers their admins (`admin.autodiscover`).

- `site`: the admin index shows the review queue;
- `testimonial`: the review page, with the review queue (`queue`) and the history (`history`)
  (`filters`, `forms`, `display` serve them);
- `actions`: the one registry of decisions on testimonials, which a higher app may add to;
- `moderation_views`: an action's confirmation page, the calendar, the social pack, captions;
- `consent`: the release's versions and the proofs of consent;
- `settings_admins`: rejection reasons and the publishing rhythm.
"""

from . import consent, settings_admins, site, testimonial  # noqa: F401
