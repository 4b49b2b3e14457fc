from django.contrib import admin

from .models import AdministrativeUnit, Agency


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "division_type", "parent")
    list_filter = ("level", "division_type")
    search_fields = ("code", "name", "name_folded")
    raw_id_fields = ("parent",)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "kind", "province")
    list_filter = ("level", "kind", "sector")
    search_fields = ("code", "name", "name_folded", "identification_code")
    raw_id_fields = ("parent", "administrative_unit", "province")
