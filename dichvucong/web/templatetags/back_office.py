"""The officer's home on the admin index (`admin/portal_index.html`): the tag only asks `back_office.overview`."""

from __future__ import annotations

from typing import Any

from django import template

from dichvucong.core.admin_mixins import request_scope
from dichvucong.web.back_office import overview

register = template.Library()


@register.inclusion_tag("admin/overview.html", takes_context=True)
def officer_overview(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    return {"overview": overview(request.user, request_scope(request))}
