"""Back office of the register: operators keep the national register; an officer edits their own agencies'
office hours, contacts and days off (the working calendar that deadlines are computed on)."""

from django.contrib import admin

from dichvucong.core.admin_mixins import AgencyScopedAdmin, OperatorOnlyAdmin

from .models import AdministrativeUnit, Agency, CalendarException


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(OperatorOnlyAdmin):
    list_display = ("code", "name", "level", "division_type", "parent")
    list_filter = ("level", "division_type")
    search_fields = ("code", "name", "name_folded")
    raw_id_fields = ("parent",)


@admin.register(Agency)
class AgencyAdmin(AgencyScopedAdmin):
    agency_field = "id"
    list_display = ("code", "name", "level", "kind", "province")
    list_filter = ("level", "kind", "sector")
    search_fields = ("code", "name", "name_folded", "identification_code")
    raw_id_fields = ("parent", "administrative_unit", "province")


@admin.register(CalendarException)
class CalendarExceptionAdmin(AgencyScopedAdmin):
    list_display = ("date", "agency", "is_working_day", "reason")
    list_filter = ("is_working_day",)
    search_fields = ("reason", "agency__code", "agency__name")
    raw_id_fields = ("agency",)
    date_hierarchy = "date"
