"""The audit log in the back office (`core.AuditEvent`: searchable, read-only, filtered to the agencies in
scope). Accounts owns the audit log's reads (`selectors.audit_events`, `narrow_audit_events`,
`agency_id_by_code`), which the officer API uses too; the filters here only read what was typed and explain a bad
value. Registered from `accounts/admin.py` (core, below every app, must not know agency codes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dichvucong.core.admin_mixins import AgencyScopedAdmin, ReadOnlyAdmin
from dichvucong.core.models import AuditEvent

from . import selectors as accounts

# The portal's own apps, whose models an audit event may name.
AUDITED_APPS = (
    "core",
    "accounts",
    "organisations",
    "catalogue",
    "dossiers",
    "payments",
    "feedback",
    "support",
    "stats",
)


class InputFilter(admin.ListFilter):
    """A sidebar filter of typed values (a form), not of links: its parameters are `fields` (name, label, input
    type); the other parameters of the page are kept as hidden inputs."""

    template = "admin/core/input_filter.html"
    fields: tuple[tuple[str, Any, str], ...] = ()

    def __init__(self, request: HttpRequest, params: dict[str, Any], model: Any, model_admin: Any) -> None:
        super().__init__(request, params, model, model_admin)
        for name, _label, _kind in self.fields:
            if name in params:
                value = params.pop(name)
                value = value[-1] if isinstance(value, list) else value
                if str(value).strip():
                    self.used_parameters[name] = str(value).strip()

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str | None]:
        return [name for name, _label, _kind in self.fields]

    def text(self, name: str) -> str:
        """What was typed in `name`, trimmed ("" when nothing)."""
        return str(self.used_parameters.get(name) or "")

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        others = QueryDict(changelist.get_query_string(remove=self.expected_parameters()).lstrip("?"))
        yield {
            "fields": [
                (name, label, kind, self.used_parameters.get(name, "")) for name, label, kind in self.fields
            ],
            "hidden": [(key, value) for key in others for value in others.getlist(key)],
        }


def _local_day(text: str) -> dt.date | None:
    """A day typed as 2026-11-23 (the date input) or 23/11/2026."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


class DateRangeFilter(InputFilter):
    """From one day to another, both included, in local time (the rule: `accounts.selectors`)."""

    title = _("khoảng thời gian")
    fields = (("tu_ngay", _("Từ ngày"), "date"), ("den_ngay", _("Đến ngày"), "date"))

    def _day(self, request: HttpRequest, name: str) -> dt.date | None:
        text = self.text(name)
        day = _local_day(text) if text else None
        if text and day is None:
            messages.error(
                request,
                gettext("Ngày “%(value)s” không hợp lệ: hãy nhập theo dạng ngày/tháng/năm.")
                % {"value": text},
            )
        return day

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        return accounts.narrow_audit_events(
            queryset, day_from=self._day(request, "tu_ngay"), day_to=self._day(request, "den_ngay")
        )


class AgencyFilter(InputFilter):
    """The events of one agency, by its code."""

    title = _("cơ quan")
    fields = (("co_quan", _("Mã cơ quan"), "text"),)

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        text = self.text("co_quan")
        if not text:
            return queryset
        agency_id = accounts.agency_id_by_code(text)
        if agency_id is None:
            messages.error(request, gettext("Không có cơ quan mã “%(code)s”.") % {"code": text})
            return queryset.none()
        return accounts.narrow_audit_events(queryset, agency_id=agency_id)


class ActionFilter(InputFilter):
    """One action, typed exactly (`agency.updated`). Typed rather than chosen: the actions are named where they
    are recorded, across the apps, and listing the log's own (a DISTINCT over millions of events on every load of
    the list) is what this page must not do. The search box finds part of a name."""

    title = _("hành động")
    fields = (("action", _("Hành động"), "text"),)

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        return accounts.narrow_audit_events(queryset, action=self.text("action"))


class ObjectTypeFilter(admin.SimpleListFilter):
    """The kind of record an event is about; the choices come from the portal's models, not from the log (a
    DISTINCT over millions of events)."""

    title = _("loại đối tượng")
    parameter_name = "loai"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        found = [
            (model._meta.label_lower, f"{model._meta.verbose_name} ({model._meta.label_lower})")
            for app in AUDITED_APPS
            if apps.is_installed(f"dichvucong.{app}")
            for model in apps.get_app_config(app).get_models()
        ]
        return sorted(found, key=lambda item: str(item[1]))

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        return accounts.narrow_audit_events(queryset, object_type=self.value())


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, AgencyScopedAdmin):
    """Who did what, when: searchable by actor, action, object and agency code, filtered by a range of days,
    agency, action and kind of object. Officers see their agencies' events only (AgencyScopedAdmin); events of
    no agency (operators' work, sign-ins of citizens) are for operators.

    No filter and no date hierarchy reads its choices from the log: each would be a DISTINCT over millions of
    events on every load of the list."""

    agency_field = "agency_id"
    list_display = (
        "at",
        "actor_label",
        "action",
        "object_type",
        "object_label",
        "agency_column",
        "ip_address",
    )
    list_filter = (DateRangeFilter, AgencyFilter, ActionFilter, ObjectTypeFilter)
    search_fields = ("actor_label", "action", "object_label", "=object_id")
    search_help_text = _(
        "Tìm theo người thực hiện, hành động, đối tượng (tên hoặc mã số) hoặc mã cơ quan; "
        "lọc theo khoảng ngày ở cột bên phải."
    )
    show_full_result_count = False
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        # The agency's code for the list, in the same query (no query per row).
        return accounts.with_agency_code(super().get_queryset(request))

    @admin.display(description=_("Cơ quan"))
    def agency_column(self, obj: AuditEvent) -> str:
        return getattr(obj, "agency_code", None) or "—"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AuditEvent], search_term: str
    ) -> tuple[QuerySet[AuditEvent], bool]:
        """The text fields, or the events of the agency whose code is the whole term."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term and " " not in term:
            agency_id = accounts.agency_id_by_code(term)
            if agency_id is not None:
                found = found | accounts.narrow_audit_events(queryset, agency_id=agency_id)
        return found, duplicates
