"""The Campagnes admin. Importing the modules registers their admins (`admin.autodiscover`).

- `campaign`: the campaign's page, its placements inline, its preview link and tools;
- `funnel`: the campaign's dashboard and CSV export, the funnel's counts (to look at only);
- `placement`: placements, their QR codes and posters, destinations kept and scheduled
  (`forms` holds their forms, `qr` the download links and the campaign's ZIP);
- `sector`: sectors, archived and never deleted;
- `key_figures`: the figures the pages and the kit quote.
"""

from . import campaign, funnel, key_figures, placement, sector  # noqa: F401
