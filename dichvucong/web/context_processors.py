"""Values every page's frame shows (base.html)."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, str]:
    hotline = str(settings.SUPPORT_HOTLINE)
    return {"SUPPORT_HOTLINE": hotline, "SUPPORT_HOTLINE_TEL": re.sub(r"[^\d+]", "", hotline)}
