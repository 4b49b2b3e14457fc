"""The back office of core: the audit log (searchable, read-only, filtered to the agencies in scope) and the
outbox (operators only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import outbox
from .admin_mixins import AgencyScopedAdmin, OperatorOnlyAdmin, ReadOnlyAdmin
from .errors import DomainError
from .models import AuditEvent, OutboxMessage

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


def _agency_model() -> Any:
    """The register of agencies. The audit log stores a bare agency id so that core depends on no domain app;
    this page alone resolves codes and names, looked up by name at run time for the same reason."""
    return apps.get_model("organisations", "Agency")


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
    """From one day to another, both included, in local time (the log is kept in UTC)."""

    title = _("khoảng thời gian")
    fields = (("tu_ngay", _("Từ ngày"), "date"), ("den_ngay", _("Đến ngày"), "date"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        zone = timezone.get_current_timezone()
        for name, lookup, shift in (("tu_ngay", "at__gte", 0), ("den_ngay", "at__lt", 1)):
            text = str(self.used_parameters.get(name) or "")
            if not text:
                continue
            day = _local_day(text)
            if day is None:
                messages.error(
                    request,
                    gettext("Ngày “%(value)s” không hợp lệ: hãy nhập theo dạng ngày/tháng/năm.")
                    % {"value": text},
                )
                continue
            start = dt.datetime.combine(day + dt.timedelta(days=shift), dt.time.min, tzinfo=zone)
            queryset = queryset.filter(**{lookup: start})
        return queryset


class AgencyFilter(InputFilter):
    """The events of one agency, by its code (or its number in the register)."""

    title = _("cơ quan")
    fields = (("co_quan", _("Mã cơ quan"), "text"),)

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        text = str(self.used_parameters.get("co_quan") or "")
        if not text:
            return queryset
        agency_id = agency_id_for(text)
        if agency_id is None:
            messages.error(request, gettext("Không có cơ quan mã “%(code)s”.") % {"code": text})
            return queryset.none()
        return queryset.filter(agency_id=agency_id)


def agency_id_for(text: str) -> int | None:
    """The id of the agency with this code (any case), or with this id."""
    agency = _agency_model()
    found = agency.objects.filter(code__iexact=text.strip()).values_list("id", flat=True).first()
    if found is None and text.strip().isdigit():
        found = agency.objects.filter(pk=int(text.strip())).values_list("id", flat=True).first()
    return found


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
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, AgencyScopedAdmin):
    """Who did what, when: searchable by actor, action, object and agency code, filtered by a range of days,
    agency, action and kind of object. Officers see their agencies' events only (AgencyScopedAdmin); events of
    no agency (operators' work, sign-ins of citizens) are for operators."""

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
    list_filter = (
        DateRangeFilter,
        AgencyFilter,
        ("action", admin.AllValuesFieldListFilter),
        ObjectTypeFilter,
    )
    search_fields = ("actor_label", "action", "object_label", "=object_id")
    search_help_text = _(
        "Tìm theo người thực hiện, hành động, đối tượng (tên hoặc mã số) hoặc mã cơ quan; "
        "lọc theo khoảng ngày ở cột bên phải."
    )
    show_full_result_count = False
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        # The agency's code for the list, in the same query (no query per row).
        code = _agency_model().objects.filter(pk=OuterRef("agency_id")).values("code")[:1]
        return super().get_queryset(request).annotate(agency_code=Subquery(code))

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
            agency = _agency_model().objects.filter(code__iexact=term).values_list("id", flat=True).first()
            if agency is not None:
                found = found | queryset.filter(agency_id=agency)
        return found, duplicates


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin, OperatorOnlyAdmin):
    """Messages waiting for another system, and those given up: operators see why, and send again once the
    cause is fixed (audited by `outbox.retry`)."""

    list_display = ("topic", "key", "attempts", "available_at", "delivered_at", "failed_at")
    list_filter = (
        "topic",
        ("delivered_at", admin.EmptyFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("=key",)
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    actions = ["send_again"]

    @admin.action(description=_("Gửi lại các thông điệp đã chọn"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        sent = 0
        for message in queryset.filter(delivered_at__isnull=True):
            try:
                outbox.retry(message.pk, request=request)
            except DomainError as exc:  # one refused message (being delivered now) must not stop the others
                self.message_user(request, f"{message.key}: {exc}", messages.WARNING)
            else:
                sent += 1
        self.message_user(request, _("Đã xếp lịch gửi lại %(n)d thông điệp.") % {"n": sent})
