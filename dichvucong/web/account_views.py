"""Account pages: sign in (VNeID, phone number, staff with a second factor), register, sign out, and the
person's own account (profile, active sessions, relying parties they allowed). Each view reads the request,
calls one service and renders; errors come back next to the field, in the user's language."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dichvucong.accounts import selectors as account_selectors
from dichvucong.accounts import services
from dichvucong.accounts.identifiers import mask_citizen_id, mask_phone
from dichvucong.accounts.identity_providers import identity_provider
from dichvucong.accounts.models import User
from dichvucong.core.errors import DomainError, ValidationFailed
from dichvucong.organisations import selectors as org_selectors

NEXT = "sign_in_next"


def _safe_next(request: HttpRequest, target: str | None, default: str = "/tai-khoan/") -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=False
    ):
        return target
    return default


def _errors(exc: DomainError) -> dict[str, Any]:
    """Field errors by field name, and the summary for the top of the form."""
    if isinstance(exc, ValidationFailed):
        by_field: dict[str, list[str]] = {}
        for error in exc.errors:
            by_field.setdefault(error.column, []).append(error.message)
        return {"summary": exc.summary or exc.message, "fields": by_field}
    return {"summary": exc.message, "fields": {}}


def _remember_next(request: HttpRequest) -> None:
    if request.GET.get("next"):
        request.session[NEXT] = _safe_next(request, request.GET["next"])


def _pop_next(request: HttpRequest, default: str = "/tai-khoan/") -> str:
    return _safe_next(request, request.session.pop(NEXT, None), default)


# --- sign in ---------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """The choice of ways in; the phone-number form posts here."""
    _remember_next(request)
    context: dict[str, Any] = {"phone": ""}
    if request.method == "POST":
        phone = request.POST.get("phone", "")
        context["phone"] = phone
        try:
            user = services.check_local_password(
                request=request, phone=phone, password=request.POST.get("password", "")
            )
        except DomainError as exc:
            context["errors"] = _errors(exc)
            return render(request, "web/account/sign_in.html", context, status=400)
        if not settings.LOCAL_SIGN_IN_SMS_CODE:
            services.complete_local_sign_in(request=request, user=user, code=None)
            return HttpResponseRedirect(_pop_next(request))
        request.session["pending_local_user"] = user.pk
        return HttpResponseRedirect(reverse("web:sign_in_code"))
    return render(request, "web/account/sign_in.html", context)


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    user = User.objects.filter(pk=request.session.get("pending_local_user", 0)).first()
    if user is None or user.phone is None:
        return HttpResponseRedirect(reverse("web:sign_in"))
    context: dict[str, Any] = {"masked_phone": mask_phone(user.phone)}
    if request.method == "POST":
        next_url = request.session.get(NEXT)
        try:
            services.complete_local_sign_in(request=request, user=user, code=request.POST.get("code", ""))
        except DomainError as exc:
            context["errors"] = _errors(exc)
            return render(request, "web/account/sign_in_code.html", context, status=400)
        return HttpResponseRedirect(_safe_next(request, next_url))
    return render(request, "web/account/sign_in_code.html", context)


@require_GET
def vneid_start(request: HttpRequest) -> HttpResponse:
    _remember_next(request)
    redirect_uri = request.build_absolute_uri(reverse("web:vneid_callback"))
    try:
        return identity_provider().start(
            request, redirect_uri=redirect_uri, acr_values=request.GET.get("acr") or None
        )
    except DomainError as exc:
        return render(request, "web/account/sign_in.html", {"errors": _errors(exc), "phone": ""}, status=503)


@require_GET
def vneid_callback(request: HttpRequest) -> HttpResponse:
    next_url = request.session.get(NEXT)
    try:
        identity = identity_provider().finish(request)
        user = services.account_for_identity(identity=identity, request=request)
    except DomainError as exc:
        return render(request, "web/account/sign_in.html", {"errors": _errors(exc), "phone": ""}, status=400)
    services.sign_in(request=request, user=user, method="vneid")
    return HttpResponseRedirect(_safe_next(request, next_url))


@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.sign_out(request=request)
        return render(request, "web/account/signed_out.html")
    if not request.user.is_authenticated:
        return HttpResponseRedirect("/")
    return render(request, "web/account/sign_out.html")


# --- registration with a phone number --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"phone": request.POST.get("phone", "")}
    if request.method == "POST":
        try:
            phone = services.start_registration(phone=context["phone"])
        except DomainError as exc:
            context["errors"] = _errors(exc)
            return render(request, "web/account/register.html", context, status=400)
        request.session["registration_phone"] = phone
        return HttpResponseRedirect(reverse("web:register_complete"))
    return render(request, "web/account/register.html", context)


@require_http_methods(["GET", "POST"])
def register_complete(request: HttpRequest) -> HttpResponse:
    phone = request.session.get("registration_phone")
    if not phone:
        return HttpResponseRedirect(reverse("web:register"))
    context: dict[str, Any] = {"masked_phone": mask_phone(phone), "form": request.POST}
    if request.method == "POST":
        try:
            user = services.complete_registration(
                request=request,
                phone=phone,
                code=request.POST.get("code", ""),
                full_name=request.POST.get("full_name", ""),
                password=request.POST.get("password", ""),
                citizen_id=request.POST.get("citizen_id", ""),
            )
        except DomainError as exc:
            context["errors"] = _errors(exc)
            return render(request, "web/account/register_complete.html", context, status=400)
        request.session.pop("registration_phone", None)
        services.sign_in(request=request, user=user, method="local")
        return HttpResponseRedirect(reverse("web:account"))
    return render(request, "web/account/register_complete.html", context)


# --- staff -----------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def staff_sign_in(request: HttpRequest) -> HttpResponse:
    _remember_next(request)
    context: dict[str, Any] = {"username": request.POST.get("username", "")}
    if request.method == "POST":
        try:
            user = services.check_staff_password(
                request=request, username=context["username"], password=request.POST.get("password", "")
            )
        except DomainError as exc:
            context["errors"] = _errors(exc)
            return render(request, "web/account/staff_sign_in.html", context, status=400)
        request.session["pending_staff_user"] = user.pk
        return HttpResponseRedirect(reverse("web:staff_second_factor"))
    return render(request, "web/account/staff_sign_in.html", context)


@require_http_methods(["GET", "POST"])
def staff_second_factor(request: HttpRequest) -> HttpResponse:
    user = User.objects.filter(pk=request.session.get("pending_staff_user", 0)).first()
    if user is None:
        return HttpResponseRedirect(reverse("web:staff_sign_in"))
    context: dict[str, Any] = {}
    if services.totp_device(user, confirmed=True) is None:
        device = services.start_totp_enrolment(user=user)
        context["enrolment"] = {
            "qr": segno.make(device.config_url, error="m").svg_inline(
                scale=4, title=_("Mã QR đăng ký ứng dụng xác thực")
            ),
            "secret": device.config_url.split("secret=")[1].split("&")[0],
        }
    if request.method == "POST":
        next_url = request.session.get(NEXT)
        try:
            services.complete_staff_sign_in(request=request, user=user, token=request.POST.get("token", ""))
        except DomainError as exc:
            context["errors"] = _errors(exc)
            return render(request, "web/account/staff_second_factor.html", context, status=400)
        return HttpResponseRedirect(_safe_next(request, next_url, default="/quan-tri/"))
    return render(request, "web/account/staff_second_factor.html", context)


def locked_out(
    request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes calls this when an account is locked after too many failed sign-ins."""
    minutes = int(settings.AXES_COOLOFF_TIME * 60)
    return render(request, "web/account/locked_out.html", {"minutes": minutes}, status=429)


# --- the person's own account ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context: dict[str, Any] = {}
    if request.method == "POST":
        try:
            services.update_profile(
                request=request,
                user=user,
                email=request.POST.get("email", ""),
                commune_code=request.POST.get("commune_code", ""),
                address_line=request.POST.get("address_line", ""),
                full_name=request.POST.get("full_name", ""),
            )
            context["saved"] = True
        except DomainError as exc:
            context["errors"] = _errors(exc)
    province = user.address_unit.parent if user.address_unit and user.address_unit.parent_id else None
    context.update(
        {
            "profile": user,
            "masked_citizen_id": mask_citizen_id(user.citizen_id) if user.citizen_id else "",
            "masked_phone": mask_phone(user.phone) if user.phone else "",
            "provinces": org_selectors.province_list(),
            "selected_province": province.code if province else "",
            "communes": org_selectors.unit_list(parent=province.code) if province else [],
            "sessions": account_selectors.active_sessions(user),
            "current_sid": request.session.get("portal_sid"),
            "consents": account_selectors.consents_of(user),
            "businesses": user.representations.select_related("business"),
        }
    )
    return render(request, "web/account/account.html", context, status=400 if "errors" in context else 200)


@login_required
@require_GET
def communes(request: HttpRequest) -> HttpResponse:
    """The communes of a province, as <option>s for the address form (htmx)."""
    province = request.GET.get("province", "")
    units = org_selectors.unit_list(parent=province) if province else []
    return render(request, "web/account/_commune_options.html", {"communes": units})


@login_required
@require_POST
def revoke_session(request: HttpRequest, session_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    session = account_selectors.session_of(user, session_id)
    services.revoke_session(request=request, user=user, session=session)
    return HttpResponseRedirect(reverse("web:account") + "#phien-dang-nhap")


@login_required
@require_POST
def withdraw_consent(request: HttpRequest, client_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    party = account_selectors.relying_party_by_client_id(client_id)
    services.withdraw_consent(request=request, user=user, relying_party=party)
    return HttpResponseRedirect(reverse("web:account") + "#ket-noi")
