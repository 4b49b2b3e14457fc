"""Back office of accounts: officers and their roles, relying parties (ministries' and provinces' portals),
signing keys. The whole back office requires a verified second factor (django-otp's admin site) and is
entered through the staff sign-in page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite
from oauth2_provider import models as dot_models

from dichvucong.core.admin_mixins import AgencyScopedAdmin, OperatorOnlyAdmin, request_scope

from . import admin_audit, services  # noqa: F401  (admin_audit registers the audit log's page)
from .models import AccountKind, Business, OfficerRole, RelyingParty, Representation, SigningKey, User
from .roles import Role

# The whole back office asks for a verified second factor; sign-in goes through the staff page.
admin.site.__class__ = OTPAdminSite


def _staff_sign_in(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    target = request.GET.get("next", "/quan-tri/")
    return HttpResponseRedirect(f"/dang-nhap/can-bo/?{urlencode({'next': target})}")


admin.site.login = _staff_sign_in  # type: ignore[method-assign]

# The toolkit's own admin pages (raw tokens and the application model) are replaced by the pages below.
for model in (
    dot_models.get_access_token_model(),
    dot_models.get_refresh_token_model(),
    dot_models.get_id_token_model(),
    dot_models.get_grant_model(),
    dot_models.get_application_model(),
    dot_models.get_device_grant_model(),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class OfficerRoleInline(admin.TabularInline):
    model = OfficerRole
    fk_name = "user"
    extra = 0
    fields = ("role", "granted_at", "granted_by")
    readonly_fields = ("granted_at", "granted_by")

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role":
            return forms.ChoiceField(choices=Role.choices, label=_("Vai trò"))
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class OfficerForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("username", "full_name", "email", "agency", "is_active")


@admin.register(User)
class UserAdmin(AgencyScopedAdmin):
    """Officers of the agencies in scope (operators see every account). Citizens' accounts belong to no agency
    and are seen by operators only; identification numbers are not shown in the list."""

    form = OfficerForm
    list_display = ("username", "full_name", "kind", "agency", "is_active", "last_login")
    list_filter = ("kind", "is_active")
    search_fields = ("username", "full_name")
    list_select_related = ("agency",)
    autocomplete_fields = ("agency",)
    inlines = (OfficerRoleInline,)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            obj.kind = AccountKind.OFFICER
            obj.is_staff = True
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Role changes go through the services, so that each grant and revocation is audited."""
        officer: User = form.instance
        actor: User = request.user  # type: ignore[assignment]
        for inline_form in formset.forms:
            if not inline_form.has_changed() and inline_form.instance.pk:
                continue
            role = inline_form.cleaned_data.get("role")
            if inline_form.cleaned_data.get("DELETE") and inline_form.instance.pk:
                services.revoke_role(
                    actor=actor, request=request, officer=officer, role=inline_form.instance.role
                )
            elif role and not inline_form.cleaned_data.get("DELETE"):
                if inline_form.instance.pk and inline_form.instance.role != role:
                    services.revoke_role(
                        actor=actor, request=request, officer=officer, role=inline_form.instance.role
                    )
                services.grant_role(actor=actor, request=request, officer=officer, role=role)


class RelyingPartyForm(forms.ModelForm):
    class Meta:
        model = RelyingParty
        fields = (
            "name",
            "agency",
            "description",
            "client_type",
            "authorization_grant_type",
            "redirect_uris",
            "post_logout_redirect_uris",
            "backchannel_logout_uri",
            "skip_authorization",
            "is_active",
        )


@admin.register(RelyingParty)
class RelyingPartyAdmin(AgencyScopedAdmin):
    """Ministries' and provinces' portals that sign people in through this portal. The client secret is shown
    once, when the relying party is registered."""

    form = RelyingPartyForm
    list_display = ("name", "client_id", "agency", "client_type", "is_active", "backchannel_logout_uri")
    list_filter = ("client_type", "is_active")
    search_fields = ("name", "client_id")
    list_select_related = ("agency",)
    autocomplete_fields = ("agency",)
    readonly_fields = ("client_id",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        return fields if obj is not None else [f for f in fields if f != "client_id"]

    def save_model(self, request: HttpRequest, obj: RelyingParty, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        if not request_scope(request).allows(obj.agency_id):
            raise PermissionDenied
        party, secret = services.register_relying_party(
            actor=request.user,  # type: ignore[arg-type]
            request=request,
            name=obj.name,
            agency=obj.agency,
            redirect_uris=obj.redirect_uris.split(),
            post_logout_redirect_uris=obj.post_logout_redirect_uris.split(),
            backchannel_logout_uri=obj.backchannel_logout_uri,
            confidential=obj.client_type == RelyingParty.CLIENT_CONFIDENTIAL,
            grant_types=obj.authorization_grant_type,
        )
        obj.pk = party.pk
        self.message_user(
            request,
            gettext("Mã ứng dụng: %(id)s. Khóa bí mật (chỉ hiển thị một lần, hãy lưu lại ngay): %(secret)s")
            % {"id": party.client_id, "secret": secret},
            messages.WARNING,
        )


@admin.register(SigningKey)
class SigningKeyAdmin(OperatorOnlyAdmin):
    list_display = ("kid", "created_at", "retired_at")
    fields = ("kid", "created_at", "retired_at")
    readonly_fields = fields
    actions = ("rotate_action",)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Tạo khóa ký mới (xoay vòng khóa)"), permissions=["view"])
    def rotate_action(self, request: HttpRequest, queryset: QuerySet[SigningKey]) -> None:
        key = services.rotate_signing_key(actor=request.user, request=request)
        self.message_user(
            request, gettext("Đã tạo khóa ký mới %(kid)s.") % {"kid": key.kid}, messages.SUCCESS
        )


class RepresentationInline(admin.TabularInline):
    model = Representation
    extra = 0
    raw_id_fields = ("user",)
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)


class BusinessForm(forms.ModelForm):
    class Meta:
        model = Business
        fields = ("tax_code", "name", "address")

    def clean_tax_code(self) -> str:
        from dichvucong.core.errors import ValidationFailed

        from .identifiers import validate_tax_code

        try:
            return validate_tax_code(self.cleaned_data["tax_code"])
        except ValidationFailed as exc:
            raise forms.ValidationError([e.message for e in exc.errors]) from exc


@admin.register(Business)
class BusinessAdmin(OperatorOnlyAdmin):
    """Businesses and who represents them (operators; the business claim given to relying parties)."""

    form = BusinessForm
    list_display = ("tax_code", "name", "created_at")
    search_fields = ("tax_code", "name")
    inlines = (RepresentationInline,)
