"""Accounts (tài khoản): people, the businesses they represent, officers' roles, sessions, the relying parties
that sign people in through the portal. (The audit log is `core.AuditEvent`.)

Workflows (registration, sign-in, single sign-out, role changes) live in `services.py`; these models hold
fields, constraints and small properties.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication

from dichvucong.organisations.models import AdministrativeUnit, Agency


class AccountKind(models.TextChoices):
    CITIZEN = "citizen", _("Công dân")
    OFFICER = "officer", _("Cán bộ, công chức")
    OPERATOR = "operator", _("Quản trị viên Cổng")


class IdentitySource(models.TextChoices):
    LOCAL = "local", _("Tài khoản Cổng (số điện thoại)")
    VNEID = "vneid", _("Định danh điện tử VNeID")
    STAFF = "staff", _("Tài khoản cán bộ")


class AssuranceLevel(models.IntegerChoices):
    """How strongly the identity is vouched for. Level 1 is the lowest (a phone-verified local account, or
    VNeID level 1); level 2 is VNeID level 2 (identity checked in person)."""

    LEVEL_1 = 1, _("Mức 1")
    LEVEL_2 = 2, _("Mức 2")


class Sex(models.TextChoices):
    MALE = "male", _("Nam")
    FEMALE = "female", _("Nữ")


class User(AbstractUser):
    """One account of the portal. `username` is the sign-in handle: the phone number of a local account,
    `vneid:<subject>` of an account created through the identity provider, a chosen name for staff."""

    kind = models.CharField(max_length=16, choices=AccountKind.choices, default=AccountKind.CITIZEN)
    identity_source = models.CharField(
        max_length=16, choices=IdentitySource.choices, default=IdentitySource.LOCAL
    )
    assurance_level = models.PositiveSmallIntegerField(
        choices=AssuranceLevel.choices, default=AssuranceLevel.LEVEL_1
    )
    full_name = models.CharField(max_length=200, blank=True)
    citizen_id = models.CharField(max_length=12, null=True, blank=True, unique=True)
    citizen_id_verified = models.BooleanField(default=False)
    idp_subject = models.CharField(max_length=255, null=True, blank=True, unique=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=8, choices=Sex.choices, blank=True)
    phone = models.CharField(max_length=10, null=True, blank=True, unique=True)
    phone_verified = models.BooleanField(default=False)
    address_unit = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address_line = models.CharField(max_length=255, blank=True)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="officers"
    )

    class Meta:
        verbose_name = _("tài khoản")
        verbose_name_plural = _("tài khoản")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="officer") | Q(agency__isnull=False), name="officer_has_agency"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_staff_member(self) -> bool:
        """Officers and operators: they must use a second factor."""
        return self.kind in (AccountKind.OFFICER, AccountKind.OPERATOR) or self.is_superuser


class Business(models.Model):
    """An enterprise, identified by its tax code (mã số thuế), acting through its representatives."""

    tax_code = models.CharField(max_length=14, unique=True)
    name = models.CharField(max_length=300)
    address = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("doanh nghiệp")
        verbose_name_plural = _("doanh nghiệp")

    def __str__(self) -> str:
        return f"{self.tax_code} {self.name}"


class RepresentativeRole(models.TextChoices):
    LEGAL = "legal", _("Người đại diện theo pháp luật")
    AUTHORISED = "authorised", _("Người được ủy quyền")


class Representation(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="representatives")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="representations")
    role = models.CharField(max_length=16, choices=RepresentativeRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "user"], name="one_representation")]

    def __str__(self) -> str:
        return f"{self.user} — {self.business}"


class OfficerRole(models.Model):
    """A role held by an officer in their agency (see `roles.py` for what each allows)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="officer_roles")
    role = models.CharField(max_length=32)
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="one_role_per_user")]

    def __str__(self) -> str:
        return f"{self.user}: {self.role}"


class OneTimeCode(models.Model):
    """A code sent by SMS to prove a phone number. Only its hash is kept; a code is used once."""

    phone = models.CharField(max_length=10)
    purpose = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class PortalSession(models.Model):
    """A signed-in browser session. `sid` is the OpenID Connect session id given to relying parties; ending
    the session signs the person out of every relying party that it signed in to."""

    sid = models.UUIDField(default=uuid.uuid4, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="portal_sessions")
    session_key = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=16, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class RelyingParty(AbstractApplication):
    """A ministry's or province's portal that signs people in through this portal (OpenID Connect client).

    Registered by an operator in the back office. It replaces django-oauth-toolkit's Application model
    (OAUTH2_PROVIDER_APPLICATION_MODEL), adding the agency it belongs to and its back-channel logout URI.
    """

    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="relying_parties"
    )
    description = models.CharField(max_length=300, blank=True)
    backchannel_logout_uri = models.URLField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        verbose_name = _("cổng kết nối (relying party)")
        verbose_name_plural = _("cổng kết nối (relying party)")

    @property
    def jwk_key(self) -> Any:
        """Sign with the portal's current key from the key table (rotated without a restart)."""
        from .keys import active_jwk

        if self.algorithm == AbstractApplication.RS256_ALGORITHM:
            return active_jwk()
        return super().jwk_key

    def is_usable(self, request: Any) -> bool:
        return self.is_active


class SigningKey(models.Model):
    """An RSA key that signs ID tokens and logout tokens. One is active; retired keys stay published in the
    JWKS until every token signed with them has expired."""

    kid = models.CharField(max_length=64, unique=True)
    private_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["retired_at"], condition=Q(retired_at__isnull=True), name="one_key"
            )
        ]

    def __str__(self) -> str:
        return self.kid


class Consent(models.Model):
    """What a person allowed a relying party to know; remembered so that they are asked once per client."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    relying_party = models.ForeignKey(RelyingParty, on_delete=models.CASCADE, related_name="consents")
    scopes = models.CharField(max_length=300)
    granted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "relying_party"], name="one_consent")]

    def __str__(self) -> str:
        return f"{self.user} → {self.relying_party}"

    @property
    def scope_set(self) -> set[str]:
        return set(self.scopes.split())


class RelyingPartySession(models.Model):
    """A sign-in to a relying party made from a portal session: the authorization code it was given, then
    the family of refresh tokens that came from that code. Back-channel logout and token revocation use it."""

    portal_session = models.ForeignKey(PortalSession, on_delete=models.CASCADE, related_name="rp_sessions")
    relying_party = models.ForeignKey(RelyingParty, on_delete=models.CASCADE, related_name="sessions")
    code_hash = models.CharField(max_length=64, unique=True)
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.relying_party} {self.created_at:%Y-%m-%d %H:%M}"


class LogoutStatus(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    DELIVERED = "delivered", _("Đã gửi")
    FAILED = "failed", _("Không gửi được")


class BackchannelLogout(models.Model):
    """Outbox row: a logout token to deliver to a relying party's back-channel logout URI. Written in the
    transaction that ends the session, delivered after it commits, re-tried until delivered or given up."""

    relying_party = models.ForeignKey(RelyingParty, on_delete=models.CASCADE, related_name="+")
    sid = models.UUIDField()
    subject = models.CharField(max_length=64)
    issuer = models.CharField(max_length=300)
    status = models.CharField(max_length=16, choices=LogoutStatus.choices, default=LogoutStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.relying_party} {self.status}"
