"""The back office's home: the admin index shows the officer's overview (`back_office.py`) above the list of
what they may manage. The site is Django's own (`admin.site`); only its index template changes."""

from django.contrib import admin

admin.site.index_template = "admin/portal_index.html"
