"""The integration monitor in the back office, for operators only: the alerts (list, acknowledge), every call
recorded, and the pages of `admin_views` (the health board, an integration's page with its test console)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dichvucong.core.admin_mixins import OperatorOnlyAdmin, ReadOnlyAdmin

from . import admin_views
from .models import IntegrationAlert, IntegrationCall


@admin.register(IntegrationAlert)
class IntegrationAlertAdmin(ReadOnlyAdmin, OperatorOnlyAdmin):
    list_display = ("integration_name", "kind", "opened_at", "closed_at", "acknowledged_at", "health_link")
    list_filter = ("kind", ("closed_at", admin.EmptyFieldListFilter))
    search_fields = ("integration_name",)
    readonly_fields = (
        "kind",
        "integration_id",
        "integration_name",
        "reasons",
        "opened_at",
        "closed_at",
        "acknowledged_at",
        "acknowledged_by",
    )

    @admin.display(description=_("Tình trạng kết nối"))
    def health_link(self, alert: IntegrationAlert) -> str:
        url = reverse("admin:monitoring_integration", args=[alert.kind, alert.integration_id])
        return format_html('<a href="{}">{}</a>', url, _("Xem"))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        pages = admin_views.Pages(self)
        return [
            path("suc-khoe/", view(pages.board), name="monitoring_board"),
            path("suc-khoe/danh-gia/", view(pages.evaluate), name="monitoring_evaluate"),
            path(
                "suc-khoe/<str:kind>/<int:integration_id>/", view(pages.detail), name="monitoring_integration"
            ),
            path("<int:alert_id>/xac-nhan/", view(pages.acknowledge), name="monitoring_acknowledge"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(
            request, {**(extra_context or {}), "board_url": reverse("admin:monitoring_board")}
        )


@admin.register(IntegrationCall)
class IntegrationCallAdmin(ReadOnlyAdmin, OperatorOnlyAdmin):
    list_display = (
        "at",
        "kind",
        "integration_id",
        "direction",
        "operation",
        "ok",
        "status_code",
        "duration_ms",
    )
    list_filter = ("kind", "direction", "ok", "is_test")
    search_fields = ("=integration_id", "operation")
    show_full_result_count = False  # no count(*) over the whole history on each page
    readonly_fields = (*list_display, "error", "is_test")
