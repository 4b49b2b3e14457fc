"""What every back-office page shares: each change is written to the audit log, and an officer sees and
changes only the data of the agencies in their scope.

The scope is read from `request.agency_scope` (set by `accounts.middleware.AgencyScopeMiddleware`), so that
this module depends on no domain app; querysets are filtered here, in `get_queryset`, which every admin view
(list, change, delete, history, autocomplete, actions) goes through — not in templates.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from . import audit
from .scope import AgencyScope


def request_scope(request: HttpRequest) -> AgencyScope:
    scope = getattr(request, "agency_scope", None)
    return scope if isinstance(scope, AgencyScope) else AgencyScope.nothing()


class AuditedAdmin(admin.ModelAdmin):
    """Writes every addition, change and deletion made in the back office to the audit log."""

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        audit.record("admin.added", request=request, target=obj, detail={"change": str(message)[:2000]})
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        audit.record("admin.changed", request=request, target=obj, detail={"change": str(message)[:2000]})
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            audit.record("admin.deleted", request=request, target=obj)
        return super().log_deletions(request, queryset)


class AgencyScopedAdmin(AuditedAdmin):
    """Rows belong to the agency named by `agency_field` (a foreign key to Agency, or "id" for Agency itself)."""

    agency_field = "agency"

    def _agency_id(self, obj: Model) -> int | None:
        if self.agency_field == "id":
            return int(obj.pk) if obj.pk is not None else None
        value = getattr(obj, f"{self.agency_field}_id", None)
        if value is None and self.agency_field.endswith("_id"):
            value = getattr(obj, self.agency_field, None)
        return value

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return request_scope(request).filter(super().get_queryset(request), self.agency_field)

    def _in_scope(self, request: HttpRequest, obj: Model | None) -> bool:
        return obj is None or request_scope(request).allows(self._agency_id(obj))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """Agency choices (and autocomplete) offer only the agencies in scope."""
        related = db_field.related_model
        if related is not None and related._meta.label == "organisations.Agency":
            kwargs["queryset"] = request_scope(request).filter(related.objects.all(), "id")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """A changed row must still belong to an agency in scope (a crafted POST cannot move it out)."""
        if not request_scope(request).allows(self._agency_id(obj)):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


class OperatorOnlyAdmin(AuditedAdmin):
    """National data (fields, life events, import runs, signing keys): portal operators only."""

    def _operator(self, request: HttpRequest) -> bool:
        return request_scope(request).is_everything

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._operator(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._operator(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._operator(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._operator(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._operator(request) and super().has_delete_permission(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the portal itself (the audit log, the outbox, dossiers kept by the sync): the back
    office shows them and never adds, changes or deletes one. Put it before the scope mixin in the bases."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
