"""Factories for the payment tests: a biller (Hà Nội police's traffic fines), providers speaking each protocol,
open bills, and orders moved through the services as the platform moves them."""

from __future__ import annotations

import datetime as dt
from typing import Any

# Monday 2 November 2026, 09:00 in Hà Nội.
MONDAY_9AM = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
FINE_DECISION = "123/QĐ-XPHC"
SECRET = "whsec_c2FuZGJveC1iaWxsZXJzLWRlbW8ta2V5LTIwMjYhIQ=="


def make_biller(code: str = "csgt-ha-noi", **overrides: Any) -> Any:
    from dichvucong.organisations.models import Agency
    from dichvucong.payments.models import Biller, ServiceGroup

    values: dict[str, Any] = {
        "code": code,
        "name": "Hệ thống xử lý vi phạm giao thông – Công an thành phố Hà Nội",
        "group": ServiceGroup.FINE,
        "agency": Agency.objects.get(code="CA-01"),
        "adapter": "",
        "key_id": f"{code}-key",
        "secret": SECRET,
        "beneficiary_account": "3949.0.1054219.00000 – Kho bạc Nhà nước Hà Nội",
    }
    values.update(overrides)
    return Biller.objects.create(**values)


def make_provider(code: str = "vnpay-sandbox", protocol: str = "vnpay", **overrides: Any) -> Any:
    from dichvucong.payments.models import Provider

    values: dict[str, Any] = {
        "code": code,
        "name": f"Ngân hàng thử nghiệm ({protocol})",
        "protocol": protocol,
        "merchant_code": "DVCQG001",
        "access_key": "sandbox-access-key" if protocol == "momo" else "",
        "secret": "sandbox-secret-" + code,
        "endpoint_url": "http://127.0.0.1:9",
    }
    values.update(overrides)
    return Provider.objects.create(**values)


def make_bill(
    biller: Any = None, *, reference: str = FINE_DECISION, amount: int = 2_000_000, **overrides: Any
) -> Any:
    from dichvucong.payments.models import Bill, BillSource

    biller = biller or make_biller()
    values: dict[str, Any] = {
        "biller": biller,
        "group": biller.group,
        "agency": biller.agency,
        "reference": reference,
        "source": BillSource.LOOKUP,
        "title": f"Nộp phạt vi phạm hành chính theo quyết định {reference}",
        "payer_name": "Nguyễn Văn An",
        "amount": amount,
        "lines": [{"code": "", "name": "Tiền phạt", "amount": amount}],
        "details": {"plate": "30A-123.45", "violation": "Vượt đèn đỏ"},
    }
    values.update(overrides)
    return Bill.objects.create(**values)


def make_order(
    bill: Any = None, provider: Any = None, *, now: dt.datetime = MONDAY_9AM, **kwargs: Any
) -> Any:
    from dichvucong.payments import services

    return services.create_order(
        bill=bill or make_bill(), provider=provider or make_provider(), now=now, **kwargs
    )


def paid_report(
    order: Any, *, at: dt.datetime | None = None, transaction_id: str = "14012345", **overrides: Any
) -> Any:
    from dichvucong.payments.providers.base import ProviderReport, ReportedStatus

    values: dict[str, Any] = {
        "order_reference": order.reference,
        "status": ReportedStatus.PAID,
        "amount": order.amount,
        "currency": "VND",
        "transaction_id": transaction_id,
        "paid_at": at or order.created_at + dt.timedelta(minutes=2),
        "bank_code": "NCB",
    }
    values.update(overrides)
    return ProviderReport(**values)
