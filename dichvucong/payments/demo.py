"""Demo payment set-up for `make run`: the two providers served by sandbox-bank (`python -m sandboxes.bank`, a
VNPAY-like gateway and a MoMo-like wallet) and the six agency systems served by sandbox-billers
(`python -m sandboxes.billers`, one path prefix each). `loaddemo` calls it, never in production.

Idempotent (by code, as `update_or_create` but writing only what differs): running it again changes nothing,
or puts the demo values back where someone changed them. The codes, key ids and
secrets are the sandboxes' public defaults (sandboxes/bank, sandboxes/billers/config.py; the portal never imports
the sandboxes); real billers and providers get theirs from the back office, never from the repository.

Agencies, as the register has them: traffic fines → CA-01 (Công an thành phố Hà Nội); tax notices → THUE-01
(Thuế thành phố Hà Nội); insurance → BHXH-01; electricity → EVN (the register has Vietnam Electricity, whose
Hà Nội corporation issues the bills; BCT when it has not); court fee advances → BTP (the register has no court:
the fee advances are collected by the civil judgment enforcement offices, which the Ministry of Justice runs);
dossier fees → UBND-01, whose one-stop system takes the fee webhooks (`payments.bills.fee_biller_for`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.conf import settings
from django.db import models, transaction

from dichvucong.organisations.models import Agency
from dichvucong.payments.models import Biller, NotifyFormat, Provider, ServiceGroup

# The same value as sandboxes/billers/config.py DEFAULT_SECRET; demo only, public on purpose.
SANDBOX_BILLERS_SECRET = "whsec_c2FuZGJveC1iaWxsZXJzLWRlbW8ta2V5LTIwMjYhIQ=="
# The same values as sandbox-bank's defaults; demo only, public on purpose.
VNPAY_TMN_CODE = "DVCQG001"
VNPAY_HASH_SECRET = "SANDBOXVNPAYSECRET2026DVCQG00001"
MOMO_PARTNER_CODE = "MOMODVCQG2026"
MOMO_ACCESS_KEY = "sandboxMomoAccessKey"
MOMO_SECRET_KEY = "sandboxMomoSecretKey2026DVCQG"


class DemoBiller(NamedTuple):
    code: str
    name: str
    group: str
    agencies: tuple[str, ...]  # the first the register has
    prefix: str  # the system's path at sandbox-billers
    beneficiary_account: str


DEMO_BILLERS: tuple[DemoBiller, ...] = (
    DemoBiller(
        "csgt-ha-noi",
        "Hệ thống xử lý vi phạm giao thông – Công an thành phố Hà Nội (sandbox)",
        ServiceGroup.FINE,
        ("CA-01",),
        "csgt",
        "3949.0.1054219.00000 – Kho bạc Nhà nước khu vực I (thử nghiệm)",
    ),
    DemoBiller(
        "thue-ha-noi",
        "Hệ thống quản lý thuế – Thuế thành phố Hà Nội (sandbox)",
        ServiceGroup.TAX,
        ("THUE-01", "CT", "BTC"),
        "thue",
        "7111.0.2995566.00000 – Kho bạc Nhà nước khu vực I (thử nghiệm)",
    ),
    DemoBiller(
        "bhxh-ha-noi",
        "Hệ thống thu bảo hiểm xã hội – Bảo hiểm xã hội thành phố Hà Nội (sandbox)",
        ServiceGroup.INSURANCE,
        ("BHXH-01", "BHXH"),
        "bhxh",
        "3751.0.1061488.00000 – Kho bạc Nhà nước khu vực I (thử nghiệm)",
    ),
    DemoBiller(
        "evn-ha-noi",
        "Tổng công ty Điện lực TP Hà Nội (sandbox)",
        ServiceGroup.ELECTRICITY,
        ("EVN", "BCT"),
        "evn",
        "1200.0000.123456 – Ngân hàng thử nghiệm (thử nghiệm)",
    ),
    DemoBiller(
        "toa-an-ha-noi",
        "Hệ thống thu tạm ứng án phí – Thi hành án dân sự thành phố Hà Nội (sandbox)",
        ServiceGroup.COURT,
        ("BTP",),
        "toa-an",
        "3949.0.1099001.00000 – Kho bạc Nhà nước khu vực I (thử nghiệm)",
    ),
    DemoBiller(
        "mot-cua-ha-noi",
        "Hệ thống một cửa điện tử Hà Nội – phí, lệ phí (sandbox)",
        ServiceGroup.FEE,
        ("UBND-01",),
        "mot-cua",
        "3511.0.1054219.00000 – Kho bạc Nhà nước khu vực I (thử nghiệm)",
    ),
)


def _providers(bank_url: str) -> list[dict[str, Any]]:
    return [
        {
            "code": "sandbox-vnpay",
            "defaults": {
                "name": "Cổng thanh toán VNPAY (sandbox)",
                "protocol": "vnpay",
                "merchant_code": VNPAY_TMN_CODE,
                "access_key": "",
                "secret": VNPAY_HASH_SECRET,
                "endpoint_url": bank_url,
                "logo_text": "VNPAY",
                "position": 1,
                "is_active": True,
            },
        },
        {
            "code": "sandbox-momo",
            "defaults": {
                "name": "Ví điện tử MoMo (sandbox)",
                "protocol": "momo",
                "merchant_code": MOMO_PARTNER_CODE,
                "access_key": MOMO_ACCESS_KEY,
                "secret": MOMO_SECRET_KEY,
                "endpoint_url": bank_url,
                "logo_text": "MoMo",
                "position": 2,
                "is_active": True,
            },
        },
    ]


def _put(model: type[models.Model], code: str, values: dict[str, Any]) -> None:
    """Create the row with `code`, or give it `values` where it differs (no write when nothing does)."""
    row = model._default_manager.filter(code=code).first()
    if row is None:
        model._default_manager.create(code=code, **values)
        return
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        for name in changed:
            setattr(row, name, values[name])
        row.save()


def load_demo_payments() -> str:
    """Register (or put back) the sandbox providers and the six sandbox billers; returns what was done."""
    bank_url = settings.SANDBOX_BANK_URL.rstrip("/")
    billers_url = settings.SANDBOX_BILLERS_URL.rstrip("/")
    skipped: list[str] = []
    registered: list[str] = []
    with transaction.atomic():
        for provider in _providers(bank_url):
            _put(Provider, provider["code"], provider["defaults"])
        agencies = {
            a.code: a
            for a in Agency.objects.filter(code__in={c for demo in DEMO_BILLERS for c in demo.agencies})
        }
        for demo in DEMO_BILLERS:
            agency = next((agencies[c] for c in demo.agencies if c in agencies), None)
            if agency is None:
                skipped.append(f"{demo.code} (no agency {' or '.join(demo.agencies)} in the register)")
                continue
            _put(
                Biller,
                demo.code,
                {
                    "name": demo.name,
                    "group": demo.group,
                    "agency": agency,
                    "adapter": "signed_json",
                    "endpoint_url": f"{billers_url}/{demo.prefix}",
                    "webhook_url": f"{billers_url}/{demo.prefix}/webhooks",
                    "notify_format": NotifyFormat.EVENT,
                    "key_id": f"{demo.code}-key",
                    "secret": SANDBOX_BILLERS_SECRET,
                    "beneficiary_account": demo.beneficiary_account,
                    "is_active": True,
                },
            )
            registered.append(f"{demo.code} ({agency.code})")
    message = (
        f"payment providers sandbox-vnpay, sandbox-momo at {bank_url}; "
        f"billers at {billers_url}: {', '.join(registered) or 'none'}"
    )
    if skipped:
        message += f"; skipped: {', '.join(skipped)}"
    return message
