"""Demo one-stop integration for `make run`: Hà Nội's provincial People's Committee (UBND-01) and every agency
under it are served by sandbox-onestop (`python -m sandboxes.onestop`, port 8103). Idempotent; `loaddemo` calls
it, never in production."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from dichvucong.dossiers.models import AgencyIntegration
from dichvucong.organisations.models import Agency

DEMO_AGENCY_CODE = "UBND-01"
# The same values as sandboxes/onestop/config.py (the portal never imports the sandboxes).
SANDBOX_ONESTOP_KEY_ID = "sandbox-onestop-hn"
SANDBOX_ONESTOP_SECRET = "whsec_c2FuZGJveC1vbmVzdG9wLWhhLW5vaS1kZW1vLWtleSE="  # demo only, public on purpose


def load_demo_integrations() -> str:
    """Register sandbox-onestop as the one-stop system of UBND-01, unless an integration serves it already."""
    with transaction.atomic():
        agency = Agency.objects.filter(code=DEMO_AGENCY_CODE).first()
        if agency is None:
            return f"one-stop integration skipped: agency {DEMO_AGENCY_CODE} is not in the register"
        if AgencyIntegration.objects.filter(agency=agency).exists():
            return "demo one-stop integration already there"
        url = settings.SANDBOX_ONESTOP_URL.rstrip("/")
        AgencyIntegration.objects.create(
            agency=agency,
            name="Hệ thống một cửa điện tử Hà Nội (sandbox)",
            connector="signed_http",
            endpoint_url=url,
            key_id=SANDBOX_ONESTOP_KEY_ID,
            secret=SANDBOX_ONESTOP_SECRET,
            is_active=True,
        )
    return f"one-stop integration {SANDBOX_ONESTOP_KEY_ID} registered for {DEMO_AGENCY_CODE} at {url}"
