"""API for agencies' bill systems (`/api/v1/agency/payments/…`): send a bill to be paid on the portal, ask for its
status, fetch its receipt. The portal's own JSON beside the national platform's protocol (`api/paygov.py`).

Authenticated like the agency API (`agency_auth`) but with the biller's key: `x-dvc-key-id: <Biller.key_id>` and
the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) signing the raw body (empty
for GET) with `Biller.secret`, the same secret that signs the portal's webhooks to the biller. A biller sees only
its own bills: another's reference answers 404, as if it did not exist.

A bill's reference may hold "/" (a fine decision number "123/QĐ-XPHC"): it is sent in the path as is or
percent-encoded.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status as Reply
from ninja.security.base import AuthBase
from pydantic import Field

from dichvucong.core import signing
from dichvucong.core.errors import NotFound
from dichvucong.payments import links, paygov, receipts, selectors
from dichvucong.payments.models import Biller, BillSource, BillStatus

from .agency_auth import KEY_HEADER, raw_body
from .schemas import Problem

PDF_RESPONSE = {
    "responses": {
        "200": {
            "description": "Biên lai điện tử (PDF)",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


class BillerAuth(AuthBase):
    """The biller named by `x-dvc-key-id`, its request signed with its secret (Standard Webhooks); a failure is a
    401 problem saying why in Vietnamese. `request.auth` is the `Biller`."""

    openapi_type = "apiKey"
    openapi_name = KEY_HEADER
    openapi_in = "header"
    openapi_description = (
        "Mã khóa của hệ thống thu (Biller.key_id), kèm chữ ký Standard Webhooks (webhook-id, webhook-timestamp, "
        "webhook-signature) trên nội dung yêu cầu bằng khóa bí mật của hệ thống thu."
    )

    def __call__(self, request: HttpRequest) -> Biller:
        key_id = request.headers.get(KEY_HEADER, "").strip()
        if not key_id:
            raise HttpError(401, f"Cần xác thực: tiêu đề {KEY_HEADER} và chữ ký Standard Webhooks.")
        biller = Biller.objects.select_related("agency").filter(key_id=key_id, is_active=True).first()
        if biller is None:
            raise HttpError(401, f"Không có hệ thống thu đang hoạt động với mã khóa {key_id[:80]}.")
        headers = request.headers
        raw_timestamp = headers.get("webhook-timestamp", "")
        if not headers.get("webhook-id") or not raw_timestamp or not headers.get("webhook-signature"):
            raise HttpError(401, "Thiếu tiêu đề webhook-id, webhook-timestamp hoặc webhook-signature.")
        try:
            stamp = int(raw_timestamp)
        except ValueError as exc:
            raise HttpError(401, "webhook-timestamp phải là số giây kể từ 1970-01-01 (Unix time).") from exc
        if abs(time.time() - stamp) > signing.DEFAULT_TOLERANCE_SECONDS:
            raise HttpError(401, "webhook-timestamp lệch quá 5 phút so với đồng hồ của Cổng: ký lại yêu cầu.")
        try:
            signing.verify(biller.secret, headers, raw_body(request))
        except signing.SignatureError as exc:
            raise HttpError(401, "Chữ ký webhook-signature không khớp với nội dung yêu cầu.") from exc
        return biller


router = Router(tags=["agency-payments"], auth=BillerAuth())


# --- schemas ---------------------------------------------------------------------------------------------------


class LineIn(Schema):
    code: str = Field("", max_length=40, description="mã khoản thu (mã phí, lệ phí, tiểu mục) nếu có")
    name: str = Field(min_length=1, max_length=300, description="tên khoản thu in trên biên lai")
    amount: int = Field(gt=0, le=paygov.MAX_AMOUNT, description="số tiền (đồng)")


class PayerIn(Schema):
    name: str = Field("", max_length=300, description="họ tên người nộp, tên tổ chức")
    address: str = Field("", max_length=300, description="địa chỉ in trên biên lai")


class BillIn(Schema):
    reference: str = Field(
        min_length=1, max_length=100, description="mã của khoản phải nộp trong hệ thống thu, duy nhất"
    )
    title: str = Field(min_length=1, max_length=500, description="nội dung thu, hiển thị cho người nộp")
    amount: int = Field(gt=0, le=paygov.MAX_AMOUNT, description="số tiền (đồng), bằng tổng các khoản")
    lines: list[LineIn] = Field(
        default_factory=list, max_length=100, description="các khoản thu in trên biên lai"
    )
    payer: PayerIn | None = None
    due_date: dt.date | None = Field(None, description="hạn nộp (ngày, giờ Việt Nam)")
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="dữ liệu riêng của nhóm dịch vụ (số quyết định, kỳ thuế, mã khách hàng …), in trên biên lai "
        "theo các khóa đã biết",
    )
    dossier_code: str = Field("", max_length=60, description="mã hồ sơ, nếu là phí, lệ phí của một hồ sơ")
    procedure_code: str = Field("", max_length=20, description="mã thủ tục hành chính")


class OrderOut(Schema):
    reference: str = Field(description="mã lệnh thanh toán trên Cổng")
    status: str
    provider: str = Field(description="mã tổ chức thanh toán")
    provider_transaction: str = Field(description="mã giao dịch tại tổ chức thanh toán")
    amount: int
    paid_at: dt.datetime | None


class ReceiptOut(Schema):
    number: str
    verification_code: str
    issued_at: dt.datetime
    verify_url: str = Field(description="trang tra cứu biên lai")
    pdf_url: str = Field(description="tải biên lai (PDF) qua API này")


class BillOut(Schema):
    reference: str
    title: str
    amount: int
    currency: str
    status: str = Field(description="open: chưa thanh toán; paid: đã thanh toán; cancelled: đã hủy")
    status_label: str
    due_date: dt.date | None
    pay_url: str | None = Field(
        description="trang thanh toán trên Cổng để gửi cho người nộp; null khi đã đóng"
    )
    paid_at: dt.datetime | None
    order: OrderOut | None = Field(description="lệnh thanh toán đã trả khoản này")
    receipt: ReceiptOut | None


# --- mapping ---------------------------------------------------------------------------------------------------


def _bill_out(request: HttpRequest, state: selectors.BillState) -> BillOut:
    bill, order, receipt = state.bill, state.paying_order, state.receipt
    base = settings.PORTAL_BASE_URL.rstrip("/")
    return BillOut(
        reference=bill.reference,
        title=bill.title,
        amount=bill.amount,
        currency=bill.currency,
        status=bill.status,
        status_label=str(BillStatus(bill.status).label),
        due_date=bill.due_date,
        pay_url=base + links.bill_path(bill) if bill.status == BillStatus.OPEN else None,
        paid_at=order.paid_at if order is not None else None,
        order=(
            OrderOut(
                reference=order.reference,
                status=order.status,
                provider=order.provider.code,
                provider_transaction=order.provider_transaction,
                amount=order.amount,
                paid_at=order.paid_at,
            )
            if order is not None
            else None
        ),
        receipt=(
            ReceiptOut(
                number=receipt.number,
                verification_code=receipt.verification_code,
                issued_at=receipt.issued_at,
                verify_url=receipts.verify_url(receipt.verification_code),
                pdf_url=request.build_absolute_uri(
                    f"{request.path.split('/bills', 1)[0]}/bills/{quote(bill.reference, safe='/')}/receipt.pdf"
                ),
            )
            if receipt is not None
            else None
        ),
    )


# --- operations ------------------------------------------------------------------------------------------------


@router.post(
    "/bills",
    response={200: BillOut, 201: BillOut, 400: Problem, 401: Problem, 409: Problem, 422: Problem},
    summary="Gửi một khoản phải nộp để người nộp thanh toán trên Cổng",
)
def create_bill(request: HttpRequest, body: BillIn) -> Reply[BillOut]:
    """Tạo khoản phải nộp và trả về địa chỉ trang thanh toán (`pay_url`) để gửi cho người nộp. Gửi lại cùng mã
    (`reference`) với cùng nội dung không tạo thêm gì (200, trả lại khoản đã có); cùng mã với nội dung khác bị
    từ chối (409). Tổng `lines` phải bằng `amount`; không gửi `lines` thì biên lai in một dòng theo `title`."""
    biller: Biller = request.auth  # type: ignore[attr-defined]
    details = dict(body.details)
    if body.payer is not None and body.payer.address:
        details["payer_address"] = body.payer.address
    bill, created = paygov.register_bill(
        biller=biller,
        reference=body.reference.strip(),
        amount=body.amount,
        title=body.title.strip(),
        source=BillSource.API,
        payer_name=body.payer.name.strip() if body.payer is not None else "",
        lines=[line.model_dump() for line in body.lines],
        details=details,
        due_date=body.due_date,
        dossier_code=body.dossier_code.strip(),
        procedure_code=body.procedure_code.strip(),
    )
    state = selectors.bill_status(biller=biller, reference=bill.reference)
    return Reply(201 if created else 200, _bill_out(request, state))


# Declared before the bill's own address: a reference may hold "/", and this one ends in "/receipt.pdf".
@router.get(
    "/bills/{path:reference}/receipt.pdf",
    response={401: Problem, 404: Problem},
    summary="Tải biên lai điện tử (PDF) của một khoản đã thanh toán",
    openapi_extra=PDF_RESPONSE,
)
def receipt_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """Biên lai điện tử của khoản đã thanh toán; 404 khi khoản chưa được thanh toán."""
    biller: Biller = request.auth  # type: ignore[attr-defined]
    state = selectors.bill_status(biller=biller, reference=reference)
    receipt = state.receipt
    if receipt is None:
        raise NotFound("Khoản này chưa được thanh toán nên chưa có biên lai.")
    response = HttpResponse(receipts.receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-lai-{receipt.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.get(
    "/bills/{path:reference}",
    response={200: BillOut, 401: Problem, 404: Problem},
    summary="Trạng thái của một khoản phải nộp",
)
def bill_status(request: HttpRequest, reference: str) -> BillOut:
    """Trạng thái (open, paid, cancelled), lệnh thanh toán đã trả, mã giao dịch tại tổ chức thanh toán, thời
    điểm thanh toán, số biên lai và mã tra cứu biên lai."""
    biller: Biller = request.auth  # type: ignore[attr-defined]
    return _bill_out(request, selectors.bill_status(biller=biller, reference=reference))
