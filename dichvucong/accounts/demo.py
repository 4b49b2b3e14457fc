"""Demo accounts for `make run`: the sandbox relying party ("Cổng DVC tỉnh mẫu") and an officer and an
operator to try the back office with. Idempotent; never run in production (the command refuses)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from dichvucong.organisations.models import Agency

from . import services
from .models import AccountKind, OfficerRole, RelyingParty, User
from .roles import Role

SANDBOX_RP_CLIENT_ID = "cong-dvc-tinh-mau"
SANDBOX_RP_CLIENT_SECRET = "sandbox-rp-secret"
DEMO_PASSWORD = "Demo@dichvucong2026"


def sandbox_rp_url() -> str:
    return settings.SANDBOX_RP_URL.rstrip("/")


def load_demo_accounts() -> str:
    """Register sandbox-rp and make the demo staff accounts (they enrol an authenticator at first sign-in)."""
    lines = []
    with transaction.atomic():
        if not RelyingParty.objects.filter(client_id=SANDBOX_RP_CLIENT_ID).exists():
            base = sandbox_rp_url()
            services.register_relying_party(
                actor=None,
                request=None,
                name="Cổng DVC tỉnh mẫu (sandbox)",
                agency=Agency.objects.filter(code="UBND-01").first(),
                redirect_uris=[f"{base}/callback"],
                post_logout_redirect_uris=[f"{base}/"],
                backchannel_logout_uri=f"{base}/backchannel-logout",
                client_id=SANDBOX_RP_CLIENT_ID,
                client_secret=SANDBOX_RP_CLIENT_SECRET,
            )
            lines.append(f"relying party {SANDBOX_RP_CLIENT_ID} registered for {base}")
        for username, kind, agency_code, full_name in (
            ("quantri", AccountKind.OPERATOR, None, "Quản trị viên Cổng (demo)"),
            ("canbo.hanoi", AccountKind.OFFICER, "UBND-01", "Cán bộ UBND Hà Nội (demo)"),
        ):
            if User.objects.filter(username=username).exists():
                continue
            user = User(
                username=username,
                kind=kind,
                full_name=full_name,
                is_staff=True,
                agency=Agency.objects.filter(code=agency_code).first() if agency_code else None,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            if kind == AccountKind.OFFICER:
                for role in Role.values:
                    OfficerRole.objects.create(user=user, role=role)
            lines.append(f"{kind} {username} / {DEMO_PASSWORD} (enrol an authenticator app at first sign-in)")
    return "\n".join(lines) or "demo accounts already there"
