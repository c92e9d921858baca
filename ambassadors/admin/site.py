"""The one change to the whole admin site: its index shows the review queue first."""

from django.contrib import admin

admin.site.index_template = "ambassadors/admin/index.html"
