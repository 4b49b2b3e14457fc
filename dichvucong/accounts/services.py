"""Writes about accounts: registration with a phone number, sign-in (local, identity provider, staff with a
second factor), sessions and single sign-out, profile, officers' roles, consent, relying parties, key
rotation. Every one that matters is audited (`audit.record`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from oauth2_provider.generators import generate_client_id, generate_client_secret

from dichvucong.core import audit
from dichvucong.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from dichvucong.core.messaging import send_sms
from dichvucong.organisations.models import AdministrativeUnit, Agency

from . import keys, sso
from .identifiers import normalize_phone, validate_citizen_id, validate_tax_code
from .models import (
    AccountKind,
    AssuranceLevel,
    Business,
    Consent,
    IdentitySource,
    OfficerRole,
    OneTimeCode,
    PortalSession,
    RelyingParty,
    Representation,
    RepresentativeRole,
    SigningKey,
    User,
)
from .roles import Role

# --- one-time codes by SMS -------------------------------------------------------------------------------------


def _code_digest(phone: str, purpose: str, code: str) -> str:
    message = f"{phone}:{purpose}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def send_one_time_code(*, phone: str, purpose: str) -> None:
    """Send a 6-digit code by SMS. At most one a minute and `OTP_MAX_PER_HOUR` an hour per number."""
    now = timezone.now()
    recent = OneTimeCode.objects.filter(phone=phone, created_at__gte=now - dt.timedelta(hours=1))
    if recent.filter(created_at__gte=now - dt.timedelta(seconds=settings.OTP_RESEND_SECONDS)).exists():
        raise DomainError(_("Mã xác thực vừa được gửi. Vui lòng chờ một phút rồi yêu cầu lại."))
    if recent.count() >= settings.OTP_MAX_PER_HOUR:
        raise DomainError(
            _("Số điện thoại này đã yêu cầu quá nhiều mã xác thực. Vui lòng thử lại sau một giờ.")
        )
    code = f"{secrets.randbelow(10**6):06d}"
    OneTimeCode.objects.create(
        phone=phone,
        purpose=purpose,
        code_hash=_code_digest(phone, purpose, code),
        expires_at=now + dt.timedelta(seconds=settings.OTP_TTL_SECONDS),
    )
    minutes = settings.OTP_TTL_SECONDS // 60
    text = _(
        "Ma xac thuc Cong DVC cua ban la %(code)s, co hieu luc trong %(minutes)s phut. Khong chia se ma nay."
    )
    send_sms(to=phone, text=text % {"code": code, "minutes": minutes}, purpose=purpose)


def check_one_time_code(*, phone: str, purpose: str, code: str) -> None:
    """Accept the latest unexpired code for (phone, purpose) once; five wrong tries spend it."""
    with transaction.atomic():
        otp = (
            OneTimeCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-created_at")
            .first()
        )
        usable = otp is not None and otp.attempts < settings.OTP_MAX_ATTEMPTS
        matches = usable and hmac.compare_digest(otp.code_hash, _code_digest(phone, purpose, code.strip()))  # type: ignore[union-attr]
        if otp is not None and usable:
            # The try is counted (or the code spent) in this transaction, which commits before any error.
            if matches:
                OneTimeCode.objects.filter(pk=otp.pk).update(used_at=timezone.now())
            else:
                OneTimeCode.objects.filter(pk=otp.pk).update(attempts=otp.attempts + 1)
    if not usable:
        raise DomainError(_("Mã xác thực đã hết hạn hoặc đã dùng. Vui lòng yêu cầu mã mới."))
    if not matches:
        raise DomainError(_("Mã xác thực không đúng."))


# --- local accounts (phone number, password, code by SMS) ------------------------------------------------------


def start_registration(*, phone: str) -> str:
    """Check the number and send it a code; returns the number in national form."""
    number = normalize_phone(phone)
    if User.objects.filter(phone=number).exists():
        raise ValidationFailed(
            errors=[FieldError(None, "phone", _("Số điện thoại này đã có tài khoản. Vui lòng đăng nhập."))],
            summary=_("Không thể đăng ký."),
        )
    send_one_time_code(phone=number, purpose="register")
    return number


def complete_registration(
    *, request: HttpRequest | None, phone: str, code: str, full_name: str, password: str, citizen_id: str = ""
) -> User:
    """Create a level-1 local account once the code proves the number. The identification number, if
    given, is declared, not verified: signing in once with VNeID verifies it."""
    number = normalize_phone(phone)
    errors: list[FieldError] = []
    if not full_name.strip():
        errors.append(FieldError(None, "full_name", _("Vui lòng nhập họ và tên.")))
    if citizen_id.strip():
        try:
            validate_citizen_id(citizen_id)
        except ValidationFailed as exc:
            errors.extend(FieldError(None, "citizen_id", e.message) for e in exc.errors)
        if User.objects.filter(citizen_id=citizen_id.strip()).exists():
            errors.append(
                FieldError(None, "citizen_id", _("Số định danh cá nhân này đã gắn với một tài khoản khác."))
            )
    try:
        validate_password(password, User(username=number, full_name=full_name))
    except ValidationError as exc:
        errors.extend(FieldError(None, "password", str(m)) for m in exc.messages)
    if errors:
        raise ValidationFailed(errors=errors, summary=_("Thông tin đăng ký chưa hợp lệ."))
    check_one_time_code(phone=number, purpose="register", code=code)
    try:
        with transaction.atomic():
            user = User(
                username=number,
                kind=AccountKind.CITIZEN,
                identity_source=IdentitySource.LOCAL,
                assurance_level=AssuranceLevel.LEVEL_1,
                full_name=full_name.strip(),
                phone=number,
                phone_verified=True,
                citizen_id=citizen_id.strip() or None,
            )
            user.set_password(password)
            user.save()
            audit.record("account.registered", actor=user, request=request, target=user)
    except IntegrityError as exc:
        raise DomainError(_("Số điện thoại này đã có tài khoản. Vui lòng đăng nhập.")) from exc
    return user


def check_local_password(*, request: HttpRequest, phone: str, password: str) -> User:
    """First step of a local sign-in: the password (throttled by django-axes); then a code is sent."""
    try:
        number = normalize_phone(phone)
    except ValidationFailed:
        number = phone.strip()
    user = authenticate(request, username=number, password=password)
    if user is None or not isinstance(user, User) or user.kind != AccountKind.CITIZEN:
        raise DomainError(_("Số điện thoại hoặc mật khẩu không đúng."))
    if settings.LOCAL_SIGN_IN_SMS_CODE:
        send_one_time_code(phone=number, purpose="sign_in")
    return user


def complete_local_sign_in(*, request: HttpRequest, user: User, code: str | None) -> PortalSession:
    if settings.LOCAL_SIGN_IN_SMS_CODE:
        assert user.phone is not None
        check_one_time_code(phone=user.phone, purpose="sign_in", code=code or "")
    return sign_in(request=request, user=user, method="local")


# --- the identity provider (VNeID) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedIdentity:
    """What the identity provider vouched for, read from its ID token and userinfo."""

    provider: str
    subject: str
    assurance_level: int
    citizen_id: str
    full_name: str
    date_of_birth: dt.date | None = None
    sex: str = ""
    phone: str = ""
    email: str = ""
    commune_code: str = ""
    address_line: str = ""


def account_for_identity(*, identity: VerifiedIdentity, request: HttpRequest | None) -> User:
    """Find or create the account of a verified identity and bring it up to date with what the provider says.

    An existing local account that declared the same identification number is taken over (its number is now
    verified) rather than duplicated."""
    validate_citizen_id(identity.citizen_id, date_of_birth=identity.date_of_birth, sex=identity.sex or None)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(idp_subject=identity.subject).first()
        if user is None:
            user = User.objects.select_for_update().filter(citizen_id=identity.citizen_id).first()
        created = user is None
        if user is None:
            user = User(username=f"{identity.provider}:{identity.subject}"[:150], kind=AccountKind.CITIZEN)
            user.set_unusable_password()
        if user.kind != AccountKind.CITIZEN:
            raise DomainError(_("Tài khoản cán bộ không đăng nhập bằng VNeID tại đây."))
        user.idp_subject = identity.subject
        user.identity_source = IdentitySource.VNEID
        user.assurance_level = identity.assurance_level
        user.citizen_id = identity.citizen_id
        user.citizen_id_verified = True
        user.full_name = identity.full_name or user.full_name
        user.date_of_birth = identity.date_of_birth or user.date_of_birth
        user.sex = identity.sex or user.sex
        if identity.email and not user.email:
            user.email = identity.email
        if identity.phone and not user.phone:
            number = normalize_phone(identity.phone)
            if not User.objects.filter(phone=number).exclude(pk=user.pk).exists():
                user.phone, user.phone_verified = number, True
        if identity.commune_code and user.address_unit_id is None:
            user.address_unit = AdministrativeUnit.objects.filter(code=identity.commune_code).first()
            user.address_line = identity.address_line
        user.save()
        audit.record(
            "account.identity_verified" if not created else "account.registered",
            actor=user,
            request=request,
            target=user,
            detail={"provider": identity.provider, "assurance_level": identity.assurance_level},
        )
    return user


# --- sessions --------------------------------------------------------------------------------------------------


def sign_in(*, request: HttpRequest, user: User, method: str) -> PortalSession:
    """Log `user` in to this browser session and record the portal session (its `sid` goes to relying
    parties). Staff must have passed their second factor before this is called."""
    login(request, user, backend="dichvucong.accounts.backends.RolePermissionBackend")
    if request.session.session_key is None:
        request.session.save()
    session = PortalSession.objects.create(
        user=user,
        session_key=request.session.session_key or "",
        ip_address=audit.client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        method=method,
    )
    request.session["portal_sid"] = str(session.sid)
    audit.record("auth.signed_in", actor=user, request=request, detail={"method": method})
    return session


def sign_out(*, request: HttpRequest) -> None:
    """Sign out here and, through back-channel logout, of every relying party signed in from this session."""
    user = request.user if request.user.is_authenticated else None
    session = sso.current_portal_session(request)
    with transaction.atomic():
        rows = sso.end_portal_session(session, reason="signed_out", request=request) if session else []
        if user is not None:
            audit.record("auth.signed_out", actor=user, request=request)
        sso.deliver_after_commit(rows)
    logout(request)


def revoke_session(*, request: HttpRequest, user: User, session: PortalSession) -> None:
    """End one of `user`'s sessions from the list of active sessions (e.g. a phone left signed in)."""
    from importlib import import_module

    from django.contrib.sessions.backends.base import SessionBase

    if session.user_id != user.pk:
        raise NotFound(_("Không tìm thấy phiên đăng nhập này."))
    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session.session_key)
    with transaction.atomic():
        rows = sso.end_portal_session(session, reason="revoked", request=request)
        audit.record("auth.session_revoked", actor=user, request=request, target=session)
        sso.deliver_after_commit(rows)
    store.delete()


# --- staff: officers and operators -----------------------------------------------------------------------------


def check_staff_password(*, request: HttpRequest, username: str, password: str) -> User:
    user = authenticate(request, username=username.strip(), password=password)
    if user is None or not isinstance(user, User) or not user.is_staff_member:
        raise DomainError(_("Tên đăng nhập hoặc mật khẩu không đúng."))
    return user


def totp_device(user: User, *, confirmed: bool | None = None) -> TOTPDevice | None:
    devices = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        devices = devices.filter(confirmed=confirmed)
    return devices.order_by("-confirmed", "-id").first()


def start_totp_enrolment(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator for `user` (made once, shown as a QR code until confirmed)."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Ứng dụng xác thực"), confirmed=False)
    return device


def complete_staff_sign_in(*, request: HttpRequest, user: User, token: str) -> PortalSession:
    """Second step: a TOTP code from the officer's authenticator app. The first successful code of a new
    authenticator confirms it."""
    device = totp_device(user, confirmed=True) or totp_device(user, confirmed=False)
    if device is not None:
        allowed, _why = device.verify_is_allowed()
        if not allowed:
            raise DomainError(_("Bạn vừa nhập sai mã. Vui lòng đợi vài giây rồi nhập mã mới trong ứng dụng."))
    if device is None or not device.verify_token(token.strip().replace(" ", "")):
        audit.record("auth.second_factor_failed", actor=user, request=request)
        raise DomainError(_("Mã xác thực không đúng hoặc đã hết hạn."))
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record("auth.second_factor_enrolled", actor=user, request=request)
    session = sign_in(request=request, user=user, method="staff")
    otp_login(request, device)
    return session


def grant_role(*, actor: User, request: HttpRequest | None, officer: User, role: str) -> None:
    if role not in Role.values:
        raise DomainError(_("Vai trò không hợp lệ."))
    if officer.kind != AccountKind.OFFICER:
        raise DomainError(_("Chỉ cán bộ của một cơ quan mới được giao vai trò."))
    _role, created = OfficerRole.objects.get_or_create(
        user=officer, role=role, defaults={"granted_by": actor}
    )
    if created:
        audit.record("role.granted", actor=actor, request=request, target=officer, detail={"role": role})


def revoke_role(*, actor: User, request: HttpRequest | None, officer: User, role: str) -> None:
    deleted, _by_model = OfficerRole.objects.filter(user=officer, role=role).delete()
    if deleted:
        audit.record("role.revoked", actor=actor, request=request, target=officer, detail={"role": role})


# --- profile ---------------------------------------------------------------------------------------------------


def update_profile(
    *,
    request: HttpRequest | None,
    user: User,
    email: str,
    commune_code: str,
    address_line: str,
    full_name: str = "",
) -> User:
    """What a person may change about themselves. Name, date of birth and number vouched for by the identity
    provider are not editable here (they change at the provider)."""
    errors: list[FieldError] = []
    unit = None
    if commune_code:
        unit = AdministrativeUnit.objects.filter(code=commune_code, level="commune").first()
        if unit is None:
            errors.append(
                FieldError(None, "commune_code", _("Xã, phường không có trong danh mục hiện hành."))
            )
    if full_name and user.identity_source != IdentitySource.VNEID:
        user.full_name = full_name.strip()
    if errors:
        raise ValidationFailed(errors=errors, summary=_("Thông tin chưa hợp lệ."))
    user.email = email.strip()
    user.address_unit = unit
    user.address_line = address_line.strip()
    user.save(update_fields=["email", "address_unit", "address_line", "full_name"])
    audit.record("account.profile_updated", actor=user, request=request, target=user)
    return user


# --- consent and relying parties -------------------------------------------------------------------------------


def remember_consent(
    *, request: HttpRequest, user: User, relying_party: RelyingParty, scopes: list[str]
) -> None:
    with transaction.atomic():
        consent, created = Consent.objects.select_for_update().get_or_create(
            user=user, relying_party=relying_party, defaults={"scopes": " ".join(sorted(scopes))}
        )
        if not created:
            consent.scopes = " ".join(sorted(consent.scope_set | set(scopes)))
            consent.save(update_fields=["scopes", "granted_at"])
        audit.record(
            "consent.granted",
            actor=user,
            request=request,
            target=relying_party,
            detail={"scopes": sorted(scopes)},
        )


def withdraw_consent(*, request: HttpRequest, user: User, relying_party: RelyingParty) -> None:
    """Forget the consent and revoke every token the relying party holds for `user`."""
    from oauth2_provider.models import AccessToken, RefreshToken

    with transaction.atomic():
        Consent.objects.filter(user=user, relying_party=relying_party).delete()
        RefreshToken.objects.filter(user=user, application=relying_party, revoked__isnull=True).update(
            revoked=timezone.now(), access_token=None
        )
        AccessToken.objects.filter(user=user, application=relying_party).delete()
        audit.record("consent.withdrawn", actor=user, request=request, target=relying_party)


def register_relying_party(
    *,
    actor: User | None,
    request: HttpRequest | None,
    name: str,
    agency: Agency | None,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    backchannel_logout_uri: str = "",
    confidential: bool = True,
    grant_types: str = RelyingParty.GRANT_AUTHORIZATION_CODE,
    client_id: str = "",
    client_secret: str = "",
) -> tuple[RelyingParty, str]:
    """Register a ministry's or province's portal; returns it with its client secret in clear, shown once."""
    secret = client_secret or generate_client_secret()
    party = RelyingParty(
        name=name,
        agency=agency,
        client_id=client_id or generate_client_id(),
        client_secret=secret,
        client_type=RelyingParty.CLIENT_CONFIDENTIAL if confidential else RelyingParty.CLIENT_PUBLIC,
        authorization_grant_type=grant_types,
        redirect_uris=" ".join(redirect_uris),
        post_logout_redirect_uris=" ".join(post_logout_redirect_uris),
        backchannel_logout_uri=backchannel_logout_uri,
        algorithm=RelyingParty.RS256_ALGORITHM,
    )
    party.full_clean(exclude=["client_secret", "user"])
    with transaction.atomic():
        party.save()
        audit.record("relying_party.registered", actor=actor, request=request, target=party)
    return party, secret


def register_business(
    *, actor: Any, request: HttpRequest | None, tax_code: str, name: str, address: str = ""
) -> Business:
    """A business by its tax code (check digit verified, see `identifiers.validate_tax_code`)."""
    code = validate_tax_code(tax_code)
    if not name.strip():
        raise ValidationFailed(
            errors=[FieldError(None, "name", _("Vui lòng nhập tên doanh nghiệp."))],
            summary=_("Thông tin chưa hợp lệ."),
        )
    with transaction.atomic():
        business, created = Business.objects.get_or_create(
            tax_code=code, defaults={"name": name.strip(), "address": address.strip()}
        )
        if created:
            audit.record("business.registered", actor=actor, request=request, target=business)
    return business


def add_representative(
    *, actor: Any, request: HttpRequest | None, business: Business, user: User, role: str
) -> Representation:
    """Record that `user` acts for `business` (legal representative or authorised person)."""
    if role not in RepresentativeRole.values:
        raise DomainError(_("Vai trò đại diện không hợp lệ."))
    if user.kind != AccountKind.CITIZEN:
        raise DomainError(_("Chỉ tài khoản công dân mới đại diện cho doanh nghiệp."))
    with transaction.atomic():
        representation, _created = Representation.objects.update_or_create(
            business=business, user=user, defaults={"role": role}
        )
        audit.record(
            "business.representative_set",
            actor=actor,
            request=request,
            target=business,
            detail={"user": user.pk, "role": role},
        )
    return representation


def rotate_signing_key(*, actor: Any, request: HttpRequest | None) -> SigningKey:
    """Make a new signing key; the old one stays published until the tokens it signed have expired."""
    key = keys.rotate()
    audit.record(
        "oidc.signing_key_rotated", actor=actor, request=request, target=key, detail={"kid": key.kid}
    )
    return key
