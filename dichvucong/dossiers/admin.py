"""Back office for dossiers: officers read their agencies' dossiers (a dossier is changed by the agency's
one-stop system, through the sync, not by hand); operators manage the connected one-stop systems."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dichvucong.core import signing
from dichvucong.core.admin_mixins import AgencyScopedAdmin, OperatorOnlyAdmin, ReadOnlyAdmin
from dichvucong.dossiers.models import AgencyIntegration, Dossier, DossierEvent


class DossierEventInline(admin.TabularInline):
    model = DossierEvent
    fields = ("occurred_at", "status", "unit", "actor_name", "content", "source")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("occurred_at", "event_id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin, AgencyScopedAdmin):
    list_display = ("code", "procedure_code", "agency", "status", "origin", "received_at", "due_at")
    list_filter = ("status", "channel", "origin")
    # Exact code only: the table holds tens of millions of rows, and the code is its unique index.
    search_fields = ("=code",)
    show_full_result_count = False
    list_select_related = ("agency",)
    readonly_fields = (
        "code",
        "agency",
        "procedure_code",
        "procedure_name",
        "field_name",
        "origin",
        "channel",
        "owner",
        "applicant_kind",
        "applicant_name",
        "applicant_id_number",
        "applicant_email",
        "applicant_phone",
        "summary",
        "status",
        "status_at",
        "submitted_at",
        "received_at",
        "due_at",
        "original_due_at",
        "finished_at",
        "returned_at",
        "delivered_at",
        "details",
    )
    exclude = ("status_event", "details_at", "overdue_notified_at")
    inlines = [DossierEventInline]


@admin.register(AgencyIntegration)
class AgencyIntegrationAdmin(OperatorOnlyAdmin):
    list_display = ("name", "agency", "endpoint_url", "is_active", "last_delivered_at", "last_synced_at")
    list_filter = ("is_active",)
    search_fields = ("name", "key_id")
    autocomplete_fields = ("agency",)
    fields = (
        "name",
        "agency",
        "connector",
        "endpoint_url",
        "key_id",
        "secret",
        "legacy_username",
        "is_active",
        "last_delivered_at",
        "last_synced_at",
        "last_error",
        "health",
    )
    readonly_fields = ("secret", "last_delivered_at", "last_synced_at", "last_error", "health")

    @admin.display(description=_("Giám sát kết nối"))
    def health(self, obj: AgencyIntegration | None) -> str:
        """The integration's health page and test console (monitoring, which watches active integrations)."""
        if obj is None or obj.pk is None or not obj.is_active:
            return "—"
        url = reverse("admin:monitoring_integration", args=["onestop", obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Sức khỏe kết nối và gửi thử"))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not obj.secret:
            obj.secret = signing.new_secret()
        super().save_model(request, obj, form, change)
