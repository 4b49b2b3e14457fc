"""The audit log in the back office: searchable, read-only, filtered to the agencies in scope."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .admin_mixins import AgencyScopedAdmin
from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(AgencyScopedAdmin):
    agency_field = "agency_id"
    list_display = ("at", "actor_label", "action", "object_type", "object_label", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "object_label", "object_id")
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
