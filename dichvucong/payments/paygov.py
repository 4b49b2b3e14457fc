"""The national payment platform's protocol for agencies' one-stop systems ("PayGov": INIT, QUERY, GET_BILL and the
signed confirmation), so that a one-stop system built for the national platform can point its payment settings at
this portal and keep working; and the registration of bills that agency systems send (INIT here, the JSON API in
`api/agency_payments.py`).

What is known, and from where. DOMAIN.md lists the messages and their fields. Two open-source one-stop systems
that call the national platform agree with it and fill in the rest: TD.DichVuCongApi (C#: `DvcPaymentService`,
`ConfirmDvcPaymentCommandHandler`) and OpenCPS's paygate integration (Java: `PayGateTerm`, `PayGateUtil`):
- `MaXacThuc` = lowercase hex SHA-256 of the fields' values joined with "|", the partner's secret last. INIT covers
  LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|SoTien|LoaiHinhThanhToan|MaKenhThanhToan|MaThietBi|NgonNgu|MaTienTe|
  MaNganHang|ThongTinGiaoDich|ThoiGianGD|Ip; QUERY and GET_BILL cover LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|
  ThoiGianGD; the confirmation LoaiBanTin|MaLoi|MaDoiTac|MaThamChieu|SoTien|MaTienTe|MaGiaoDich|MaNganHang|
  ThoiGianGD|ThongTinGiaoDich (TD checks this order; OpenCPS computes ThongTinGiaoDich before ThoiGianGD but never
  enforces it). Defaults they send: PhienBan "1.0.6", LoaiHinhThanhToan "PAY", MaKenhThanhToan "1", MaThietBi "1",
  NgonNgu "vi-VN", MaTienTe "VND", MaNganHang "PAYMENT". SoTien is sent as a string of đồng.
- `ThongTinBienLai` keys (used as they are, see `RECEIPT_KEYS`): MaDichVu, MaDVC, TenDVC, MaTTHC, TenTTHC, MaDonVi,
  TenDonVi, MaHoSo, TKThuHuong, MaNHThuHuong, TenTKThuHuong, fine data (MaLoaiHinhThuPhat, TenLoaiHinhThuPhat,
  MaCoQuanQD, TenCoQuanQD, KhoBac, NgayQD, SoQD, ThoiGianViPham, DiaDiemViPham, TenNguoiViPham, TaiKhoanThuNSNN),
  NoiDungThanhToan, payer (HoTenNguoiNop, SoCMNDNguoiNop, DiaChiNguoiNop, HuyenNguoiNop, TinhNguoiNop), fee lines
  `PhiLePhi` [{LoaiPhiLePhi, MaPhiLePhi, TenPhiLePhi, SoTien}] and `DSKhoanNop` [{NoiDung, SoTien}].
- Answers: OpenCPS reads `MaLoi` ("00" = success); TD reads the INIT answer inside an envelope
  `{"error_code": "0", "message": "<the answer as a JSON string>"}` and takes `UrlThanhToan` from it, reads the
  QUERY answer as a flat object with `TrangThaiGD` "1"/"3"/"4", and saves the GET_BILL answer's bytes as a .pdf
  file, while OpenCPS asks GET_BILL for JSON. Both read the body whatever the HTTP status (OpenCPS fails on a
  non-2xx): every answer here is HTTP 200 JSON.

What is not public, and is this portal's own (?): which fields each *answer's* MaXacThuc covers, the error codes
other than "00" (`ERRORS`), the confirmation's LoaiBanTin ("CONFIRM"), the GET_BILL answer's fields (`SoBienLai`,
`MaTraCuu`, `DuongDanTraCuu`, `TenTep`, `TepBienLai` = the PDF in base64), and `UrlTraVe`, an optional INIT field
with the address the payer returns to (the national platform takes it from the partner's registration). All
field lists are in one table, `MAC_FIELDS`, and nowhere else.

Choices: `MaGiaoDich` is the portal's payment order reference (TT…), the platform's own transaction id as the
national platform gives its own; the provider's transaction id is on the receipt and in the JSON API.
`MaNganHang` in an answer is the provider's code (the code an INIT names to go straight to a provider).
An answer to an unknown MaDoiTac cannot be signed (there is no secret to sign with): its MaXacThuc is empty.
Times (`ThoiGianGD`) are yyyyMMddHHmmss in Hà Nội time; a request's time is checked for form, not for freshness:
INIT is idempotent and QUERY and GET_BILL only read, so a replayed request changes nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dichvucong.core.errors import DomainError, NotFound
from dichvucong.payments import links, receipts, selectors, services
from dichvucong.payments.models import (
    PAID_STATUSES,
    Bill,
    Biller,
    BillSource,
    BillStatus,
    OrderChannel,
    PaymentOrder,
    Provider,
)

log = logging.getLogger(__name__)

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TIME_FORMAT = "%Y%m%d%H%M%S"
CURRENCY = "VND"
PAY = "PAY"
PAYER_CHOOSES = "PAYMENT"  # MaNganHang: the payer chooses the provider on the portal

INIT = "INIT"
QUERY = "QUERY"
GET_BILL = "GET_BILL"
CONFIRM = "CONFIRM"
MESSAGES = (INIT, QUERY, GET_BILL)

# Which fields each MaXacThuc covers, in order (the secret is appended last). The requests' and the
# confirmation's lists are the national platform's (see the module's docstring); the answers' are this portal's.
# The only place these lists are written.
MAC_FIELDS: dict[str, tuple[str, ...]] = {
    INIT: (
        "LoaiBanTin",
        "PhienBan",
        "MaDoiTac",
        "MaThamChieu",
        "SoTien",
        "LoaiHinhThanhToan",
        "MaKenhThanhToan",
        "MaThietBi",
        "NgonNgu",
        "MaTienTe",
        "MaNganHang",
        "ThongTinGiaoDich",
        "ThoiGianGD",
        "Ip",
    ),
    QUERY: ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "ThoiGianGD"),
    GET_BILL: ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "ThoiGianGD"),
    CONFIRM: (
        "LoaiBanTin",
        "MaLoi",
        "MaDoiTac",
        "MaThamChieu",
        "SoTien",
        "MaTienTe",
        "MaGiaoDich",
        "MaNganHang",
        "ThoiGianGD",
        "ThongTinGiaoDich",
    ),
    # Answers (ours): an error answer carries the same fields, those it cannot fill empty.
    "INIT_ANSWER": ("LoaiBanTin", "MaLoi", "MaDoiTac", "MaThamChieu", "SoTien", "ThoiGianGD", "UrlThanhToan"),
    "QUERY_ANSWER": (
        "LoaiBanTin",
        "MaLoi",
        "MaDoiTac",
        "MaThamChieu",
        "SoTien",
        "MaTienTe",
        "MaGiaoDich",
        "MaNganHang",
        "ThoiGianGD",
        "ThongTinGiaoDich",
        "TrangThaiGD",
    ),
    "GET_BILL_ANSWER": (
        "LoaiBanTin",
        "MaLoi",
        "MaDoiTac",
        "MaThamChieu",
        "ThoiGianGD",
        "SoBienLai",
        "MaTraCuu",
    ),
    # The answer to a message whose LoaiBanTin is none of the three.
    "ERROR_ANSWER": ("LoaiBanTin", "MaLoi", "MaDoiTac", "MaThamChieu", "ThoiGianGD"),
}

# MaLoi. "00" is the national platform's; the others are this portal's (?).
OK = "00"
INVALID = "01"  # a field is missing, malformed or not supported
BAD_MAC = "02"  # MaXacThuc does not match the message and the partner's secret
UNKNOWN_PARTNER = "03"  # no active partner with this MaDoiTac
AMOUNT_CONFLICT = "04"  # MaThamChieu already used by this partner with another SoTien
NOT_FOUND = "05"  # no transaction with this MaThamChieu for this partner
BILL_CLOSED = "06"  # the bill was cancelled: it cannot be paid
NO_RECEIPT = "07"  # GET_BILL: not paid (yet), so no receipt
PAYMENT_FAILED = "08"  # confirmation of an order that was not paid
SYSTEM_ERROR = "99"
ERRORS: dict[str, str] = {
    OK: "Thành công",
    INVALID: "Dữ liệu không hợp lệ",
    BAD_MAC: "Sai mã xác thực (MaXacThuc)",
    UNKNOWN_PARTNER: "Mã đối tác (MaDoiTac) không tồn tại hoặc đã ngừng kết nối",
    AMOUNT_CONFLICT: "Mã tham chiếu đã được khởi tạo với số tiền khác",
    NOT_FOUND: "Không tìm thấy giao dịch",
    BILL_CLOSED: "Khoản thu đã bị hủy, không thể thanh toán",
    NO_RECEIPT: "Giao dịch chưa thanh toán thành công nên chưa có biên lai",
    PAYMENT_FAILED: "Giao dịch không thành công",
    SYSTEM_ERROR: "Lỗi hệ thống, vui lòng thử lại sau",
}

# TrangThaiGD of QUERY.
PAID_STATE = "1"
PENDING_STATE = "3"  # not paid yet, or its final state is not known
FAILED_STATE = "4"

# The ThongTinBienLai keys kept on the bill (`Bill.details`) as sent; the fee lines become `Bill.lines`. The
# payer's identity number (SoCMNDNguoiNop) is not kept: nothing here needs it.
RECEIPT_KEYS = (
    "MaDichVu",
    "MaDVC",
    "TenDVC",
    "MaTTHC",
    "TenTTHC",
    "MaDonVi",
    "TenDonVi",
    "MaHoSo",
    "TKThuHuong",
    "MaNHThuHuong",
    "TenTKThuHuong",
    "MaLoaiHinhThuPhat",
    "TenLoaiHinhThuPhat",
    "MaCoQuanQD",
    "TenCoQuanQD",
    "KhoBac",
    "NgayQD",
    "SoQD",
    "ThoiGianViPham",
    "DiaDiemViPham",
    "TenNguoiViPham",
    "TaiKhoanThuNSNN",
    "NoiDungThanhToan",
    "HoTenNguoiNop",
    "DiaChiNguoiNop",
    "HuyenNguoiNop",
    "TinhNguoiNop",
)
# INIT fields kept under details["paygov"]: what the answers and the confirmation echo, and the return address.
TRANSACTION_KEYS = (
    "ThongTinGiaoDich",
    "ThoiGianGD",
    "MaKenhThanhToan",
    "MaThietBi",
    "NgonNgu",
    "MaNganHang",
    "Ip",
    "UrlTraVe",
)
MAX_AMOUNT = 10**15  # đồng; any real bill is far below
TEXT_LIMIT = 500


class PayGovError(Exception):
    """A message refused with MaLoi `code`; `detail` (Vietnamese) goes in MoTaLoi."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail or ERRORS.get(code, ERRORS[SYSTEM_ERROR])
        super().__init__(self.detail)


class BillConflict(DomainError):
    """The agency sent a reference it used before, with other content."""

    status = 409
    code = "bill-conflict"


# --- MaXacThuc ---------------------------------------------------------------------------------------------------


def _mac_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def mac(values: Sequence[Any], secret: str) -> str:
    """Lowercase hex SHA-256 of the values joined with "|" and the secret last (None is the empty string, a
    number its decimal digits)."""
    text = "|".join([*(_mac_text(value) for value in values), secret])
    return hashlib.sha256(text.encode()).hexdigest()


def sign(kind: str, message: Mapping[str, Any], secret: str) -> str:
    """The MaXacThuc of `message` of kind `kind` (a key of MAC_FIELDS)."""
    return mac([message.get(name) for name in MAC_FIELDS[kind]], secret)


def mac_matches(kind: str, message: Mapping[str, Any], secret: str) -> bool:
    """Whether the message's MaXacThuc is right, compared in constant time (hex case ignored)."""
    given = message.get("MaXacThuc")
    if not isinstance(given, str) or not given:
        return False
    expected = sign(kind, message, secret)
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode("ascii", "replace"))


# --- times -------------------------------------------------------------------------------------------------------


def format_time(moment: dt.datetime) -> str:
    """yyyyMMddHHmmss in Hà Nội time."""
    return timezone.localtime(moment, LOCAL_TZ).strftime(TIME_FORMAT)


def parse_time(text: Any) -> dt.datetime:
    """A yyyyMMddHHmmss time in Hà Nội time, as an aware datetime; PayGovError for anything else."""
    if not isinstance(text, str) or len(text.strip()) != 14 or not text.strip().isdigit():
        raise PayGovError(INVALID, "ThoiGianGD phải có dạng yyyyMMddHHmmss (giờ Việt Nam).")
    try:
        return dt.datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=LOCAL_TZ)
    except ValueError as exc:
        raise PayGovError(INVALID, "ThoiGianGD không phải một thời điểm có thật.") from exc


# --- reading a message -------------------------------------------------------------------------------------------


def _text(value: Any, limit: int = TEXT_LIMIT) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.replace("\x00", "").strip()[:limit]
    return ""


def _required(message: Mapping[str, Any], name: str, limit: int) -> str:
    value = message.get(name)
    text = _text(value, limit + 1)
    if not text:
        raise PayGovError(INVALID, f"Thiếu {name}.")
    if len(text) > limit:
        raise PayGovError(INVALID, f"{name} dài quá {limit} ký tự.")
    if any(ord(ch) < 32 for ch in text):
        raise PayGovError(INVALID, f"{name} chứa ký tự điều khiển.")
    return text


def _amount(value: Any, name: str = "SoTien") -> int | None:
    """A positive integer number of đồng sent as a number or a string of digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        amount = value
    elif isinstance(value, str) and value.strip().isdigit():
        amount = int(value.strip())
    else:
        return None
    return amount if 0 < amount <= MAX_AMOUNT else None


def load(raw: bytes) -> dict[str, Any]:
    """The message's JSON object; PayGovError INVALID for anything that is not one."""
    try:
        message = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayGovError(INVALID, "Nội dung bản tin không phải JSON hợp lệ (UTF-8).") from exc
    if not isinstance(message, dict):
        raise PayGovError(INVALID, "Bản tin phải là một đối tượng JSON.")
    return message


def partner(code: str) -> Biller | None:
    """The active biller whose one-stop system speaks this protocol as MaDoiTac `code`."""
    if not code:
        return None
    return (
        Biller.objects.select_related("agency")
        .filter(partner_code=code, is_active=True)
        .order_by("pk")
        .first()
    )


def partner_code(biller: Biller) -> str:
    return biller.partner_code or biller.code


# --- answers ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What to send back: the JSON body, and for GET_BILL the receipt itself for callers that want the file."""

    body: dict[str, Any]
    pdf: bytes | None = None
    filename: str = ""


def _answer(
    kind: str, message: Mapping[str, Any], biller: Biller | None, code: str, detail: str, **fields: Any
) -> dict[str, Any]:
    answer_kind = f"{kind}_ANSWER" if f"{kind}_ANSWER" in MAC_FIELDS else "ERROR_ANSWER"
    body: dict[str, Any] = {
        "LoaiBanTin": kind or _text(message.get("LoaiBanTin"), 20),
        "PhienBan": settings.PAYGOV_VERSION,
        "MaLoi": code,
        "MoTaLoi": detail,
        "MaDoiTac": _text(message.get("MaDoiTac"), 40),
        "MaThamChieu": _text(message.get("MaThamChieu"), 100),
        "ThoiGianGD": _text(message.get("ThoiGianGD"), 14),
        **fields,
    }
    for name in MAC_FIELDS[answer_kind]:
        body.setdefault(name, "")
    body["MaXacThuc"] = sign(answer_kind, body, biller.secret) if biller is not None else ""
    if kind == INIT:
        # The envelope TD-style one-stop systems read the INIT answer from (see the module's docstring).
        body = {
            **body,
            "error_code": "0" if code == OK else code,
            "message": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        }
    return body


def _refused(kind: str, message: Mapping[str, Any], biller: Biller | None, error: PayGovError) -> Answer:
    log.info(
        "paygov: %s of %s/%s refused with %s: %s",
        kind or "?",
        _text(message.get("MaDoiTac"), 40),
        _text(message.get("MaThamChieu"), 100),
        error.code,
        error.detail,
    )
    return Answer(_answer(kind, message, biller, error.code, error.detail))


def handle(
    raw: bytes, *, expected: str | None = None, remote_ip: str = "", now: dt.datetime | None = None
) -> Answer:
    """Answer one message (INIT, QUERY or GET_BILL) sent by a one-stop system. `expected` is the message type of
    the address it was sent to (None: the common address, dispatching on LoaiBanTin). Never raises: every
    refusal is an answer with its MaLoi, signed with the partner's secret when the partner is known."""
    now = now or timezone.now()
    try:
        message = load(raw)
    except PayGovError as error:
        return _refused(expected or "", {}, None, error)
    kind = _text(message.get("LoaiBanTin"), 20).upper() or (expected or "")
    if kind not in MESSAGES:
        return _refused(
            kind, message, None, PayGovError(INVALID, "LoaiBanTin phải là INIT, QUERY hoặc GET_BILL.")
        )
    biller = partner(_text(message.get("MaDoiTac"), 40))
    if biller is None:
        return _refused(kind, message, None, PayGovError(UNKNOWN_PARTNER))
    if expected and kind != expected:
        mismatch = PayGovError(INVALID, f"Địa chỉ này nhận bản tin {expected}, không nhận {kind}.")
        return _refused(kind, message, biller, mismatch)
    if not mac_matches(kind, message, biller.secret):
        return _refused(kind, message, biller, PayGovError(BAD_MAC))
    try:
        if kind == INIT:
            return _init(biller, message, remote_ip=remote_ip, now=now)
        if kind == QUERY:
            return _query(biller, message)
        return _get_bill(biller, message)
    except PayGovError as error:
        return _refused(kind, message, biller, error)
    except Exception:
        log.exception("paygov: %s of %s failed", kind, biller.code)
        return _refused(kind, message, biller, PayGovError(SYSTEM_ERROR))


# --- bills sent by agency systems ------------------------------------------------------------------------------


def _clean_lines(lines: Sequence[Mapping[str, Any]] | None, title: str, amount: int) -> list[dict[str, Any]]:
    if not lines:
        return [{"code": "", "name": title, "amount": amount}]
    return [
        {
            "code": _text(line.get("code"), 40),
            "name": _text(line.get("name"), 300),
            "amount": line.get("amount"),
        }
        for line in lines
    ]


def register_bill(
    *,
    biller: Biller,
    reference: str,
    amount: int,
    title: str,
    source: str,
    payer_name: str = "",
    lines: Sequence[Mapping[str, Any]] | None = None,
    details: Mapping[str, Any] | None = None,
    due_date: dt.date | None = None,
    dossier_code: str = "",
    procedure_code: str = "",
    same_content: bool = True,
) -> tuple[Bill, bool]:
    """The biller's bill `reference`, made now if new (returns it and True) or as it was made before (False).
    Idempotent: sending the same bill again makes nothing. A bill sent again with another amount is refused
    (BillConflict), and with any other content too when `same_content` (the JSON API; an INIT is compared on its
    amount only, as the national platform does). The lines, when given, must add up to the amount."""
    if amount <= 0 or amount > MAX_AMOUNT:
        raise DomainError("Số tiền phải là số nguyên dương (đồng).")
    clean = _clean_lines(lines, title, amount)
    if any(not isinstance(line["amount"], int) or line["amount"] <= 0 for line in clean):
        raise DomainError("Mỗi khoản thu phải có số tiền nguyên dương (đồng).")
    if sum(line["amount"] for line in clean) != amount:
        raise DomainError("Tổng số tiền các khoản thu (lines) phải bằng số tiền của khoản phải nộp (amount).")
    values: dict[str, Any] = {
        "group": biller.group,
        "agency_id": biller.agency_id,
        "source": source,
        "title": title[:500],
        "payer_name": payer_name[:300],
        "amount": amount,
        "currency": CURRENCY,
        "due_date": due_date,
        "lines": clean,
        "details": dict(details or {}),
        "dossier_code": dossier_code[:60],
        "procedure_code": procedure_code[:20],
    }
    with transaction.atomic():
        bill, created = Bill.objects.get_or_create(biller=biller, reference=reference, defaults=values)
    if created:
        return bill, True
    if bill.amount != amount:
        raise BillConflict(
            f"Mã {reference[:100]} đã được gửi với số tiền {receipts.format_amount(bill.amount)} đồng, "
            f"khác số tiền {receipts.format_amount(amount)} đồng của yêu cầu này."
        )
    if same_content:
        differing = [
            name
            for name in (
                "title",
                "payer_name",
                "due_date",
                "lines",
                "details",
                "dossier_code",
                "procedure_code",
            )
            if getattr(bill, name) != values[name]
        ]
        if differing:
            raise BillConflict(
                f"Mã {reference[:100]} đã được gửi với nội dung khác ({', '.join(differing)}); "
                "mỗi khoản phải nộp cần một mã riêng."
            )
    return bill, False


def agency_return_url(bill: Bill) -> str:
    """Where a payer sent by an agency's one-stop system returns after paying (INIT's UrlTraVe), or ""."""
    paygov = bill.details.get("paygov") if isinstance(bill.details, dict) else None
    return _text(paygov.get("UrlTraVe"), 1000) if isinstance(paygov, dict) else ""


def _transaction_info(bill: Bill, order: PaymentOrder | None) -> str:
    paygov = bill.details.get("paygov") if isinstance(bill.details, dict) else None
    sent = _text(paygov.get("ThongTinGiaoDich")) if isinstance(paygov, dict) else ""
    if sent:
        return sent
    return services.order_description(order) if order is not None else ""


def _absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


# --- INIT ------------------------------------------------------------------------------------------------------


def _return_url(value: Any) -> str:
    url = _text(value, 1001)
    if not url:
        return ""
    parts = urlsplit(url)
    if len(url) > 1000 or parts.scheme not in ("http", "https") or not parts.netloc:
        raise PayGovError(INVALID, "UrlTraVe phải là một địa chỉ http(s) đầy đủ, tối đa 1.000 ký tự.")
    return url


def _ip(value: Any) -> str | None:
    try:
        return str(ipaddress.ip_address(_text(value, 45)))
    except ValueError:
        return None


def _fee_lines(info: Mapping[str, Any], amount: int, title: str) -> list[dict[str, Any]]:
    """The receipt's lines from PhiLePhi, else DSKhoanNop, if they add up to SoTien (OpenCPS sends a fee and a
    charge line, one of them often 0); else one line for the whole amount."""
    fees: list[dict[str, Any]] = []
    for item in info.get("PhiLePhi") or []:
        if isinstance(item, dict) and (fee := _amount(item.get("SoTien"))) is not None:
            kind = (
                "Lệ phí"
                if _text(item.get("LoaiPhiLePhi")).lower().replace(" ", "") in ("lephi", "2")
                else "Phí"
            )
            name = _text(item.get("TenPhiLePhi"), 300) or kind
            fees.append({"code": _text(item.get("MaPhiLePhi"), 40), "name": name, "amount": fee})
    if fees and sum(line["amount"] for line in fees) == amount:
        return fees
    items: list[dict[str, Any]] = []
    for item in info.get("DSKhoanNop") or []:
        if isinstance(item, dict) and (part := _amount(item.get("SoTien"))) is not None:
            items.append({"code": "", "name": _text(item.get("NoiDung"), 300) or title, "amount": part})
    if items and sum(line["amount"] for line in items) == amount:
        return items
    return [{"code": "", "name": title, "amount": amount}]


def _init(biller: Biller, message: Mapping[str, Any], *, remote_ip: str, now: dt.datetime) -> Answer:
    reference = _required(message, "MaThamChieu", 100)
    amount = _amount(message.get("SoTien"))
    if amount is None:
        raise PayGovError(INVALID, "SoTien phải là số nguyên dương (đồng).")
    if _text(message.get("MaTienTe")).upper() not in ("", CURRENCY):
        raise PayGovError(INVALID, "Chỉ nhận MaTienTe VND.")
    if _text(message.get("LoaiHinhThanhToan")).upper() not in ("", PAY):
        raise PayGovError(INVALID, "Chỉ hỗ trợ LoaiHinhThanhToan PAY.")
    parse_time(message.get("ThoiGianGD"))
    info = message.get("ThongTinBienLai") or {}
    if not isinstance(info, dict):
        raise PayGovError(INVALID, "ThongTinBienLai phải là một đối tượng JSON.")
    return_url = _return_url(message.get("UrlTraVe"))

    title = (
        _text(info.get("TenDVC"))
        or _text(info.get("TenTTHC"))
        or _text(info.get("NoiDungThanhToan"))
        or _text(message.get("ThongTinGiaoDich"))
        or f"Khoản thu {reference}"
    )
    details: dict[str, Any] = {key: _text(info.get(key)) for key in RECEIPT_KEYS if _text(info.get(key))}
    details["paygov"] = {
        key: _text(message.get(key), 1000) for key in TRANSACTION_KEYS if _text(message.get(key))
    }
    try:
        bill, created = register_bill(
            biller=biller,
            reference=reference,
            amount=amount,
            title=title,
            source=BillSource.PAYGOV,
            payer_name=_text(info.get("HoTenNguoiNop"), 300) or _text(info.get("TenNguoiViPham"), 300),
            lines=_fee_lines(info, amount, title[:300]),
            details=details,
            dossier_code=_text(info.get("MaHoSo"), 60),
            procedure_code=_text(info.get("MaTTHC"), 20),
            same_content=False,
        )
    except BillConflict as exc:
        raise PayGovError(AMOUNT_CONFLICT, exc.message) from exc
    except DomainError as exc:
        raise PayGovError(INVALID, exc.message) from exc
    if bill.status == BillStatus.CANCELLED:
        raise PayGovError(BILL_CLOSED)

    url = _absolute(_bill_path(bill, keep=created))
    bank = _text(message.get("MaNganHang"), 40)
    if bank and bank.upper() != PAYER_CHOOSES and bill.status == BillStatus.OPEN:
        url = _checkout(bill, bank, message, return_url=return_url, remote_ip=remote_ip, now=now) or url
    log.info("paygov: INIT %s/%s of %s đồng answered", biller.code, reference, amount)
    return Answer(_answer(INIT, message, biller, OK, ERRORS[OK], SoTien=bill.amount, UrlThanhToan=url))


def _bill_path(bill: Bill, *, keep: bool) -> str:
    """The bill's payment page. Its signed token changes with the time it is signed, so the one given in the
    first answer to an INIT is kept with the bill (details["paygov"]["bill_path"]) and given again: the same INIT
    gets the same answer."""
    paygov = bill.details.get("paygov") if isinstance(bill.details, dict) else None
    kept = paygov.get("bill_path") if isinstance(paygov, dict) else None
    if isinstance(kept, str) and kept:
        return kept
    path = links.bill_path(bill)
    if keep and isinstance(paygov, dict):
        paygov["bill_path"] = path
        Bill.objects.filter(pk=bill.pk).update(details=bill.details)
    return path


def _checkout(
    bill: Bill, bank: str, message: Mapping[str, Any], *, return_url: str, remote_ip: str, now: dt.datetime
) -> str | None:
    """The provider's payment page when INIT names a provider (MaNganHang); None sends the payer to the bill's
    page on the portal instead: an unknown code, or a provider that cannot take the order now, still lets the
    payer pay through another."""
    provider = Provider.objects.filter(code__iexact=bank, is_active=True).first()
    if provider is None:
        log.info("paygov: MaNganHang %s is no provider of the portal; the payer chooses", bank)
        return None
    client_ip = _ip(message.get("Ip"))
    language = "en" if _text(message.get("NgonNgu")).lower().startswith("en") else "vi"
    try:
        order = services.create_order(
            bill=bill,
            provider=provider,
            channel=OrderChannel.PAYGOV,
            client_ip=client_ip,
            return_url=return_url,
            payer_name=bill.payer_name,
            now=now,
        )
        return services.start_checkout(
            order,
            return_url=_absolute(reverse("payment_return", kwargs={"provider_code": provider.code})),
            notify_url=_absolute(reverse("payment_ipn", kwargs={"provider_code": provider.code})),
            client_ip=client_ip or remote_ip or "127.0.0.1",
            language=language,
            now=now,
        )
    except services.PaymentError as exc:
        log.warning(
            "paygov: checkout of %s at %s failed, payer sent to the portal: %s", bill, provider.code, exc
        )
        return None


# --- QUERY and GET_BILL ------------------------------------------------------------------------------------------


def transaction_state(state: selectors.BillState) -> str:
    """TrangThaiGD: 1 paid (a later refund does not undo that the payment was made), 4 failed (cancelled bill, or
    every attempt closed unpaid), 3 not known yet (an attempt still open, or none made yet)."""
    if state.paying_order is not None:
        return PAID_STATE
    if state.bill.status == BillStatus.CANCELLED:
        return FAILED_STATE
    if state.has_open_order or state.latest_order is None:
        return PENDING_STATE
    return FAILED_STATE


def _state(biller: Biller, message: Mapping[str, Any]) -> selectors.BillState:
    reference = _required(message, "MaThamChieu", 100)
    parse_time(message.get("ThoiGianGD"))
    try:
        return selectors.bill_status(biller=biller, reference=reference)
    except NotFound as exc:
        raise PayGovError(NOT_FOUND) from exc


def _transaction_fields(state: selectors.BillState, message: Mapping[str, Any]) -> dict[str, Any]:
    order = state.paying_order or state.latest_order
    return {
        "SoTien": state.bill.amount,
        "MaTienTe": state.bill.currency,
        "MaGiaoDich": order.reference if order is not None else "",
        "MaNganHang": order.provider.code if order is not None else "",
        "ThoiGianGD": (
            format_time(state.paying_order.paid_at)
            if state.paying_order is not None and state.paying_order.paid_at is not None
            else _text(message.get("ThoiGianGD"), 14)
        ),
        "ThongTinGiaoDich": _transaction_info(state.bill, order),
    }


def _query(biller: Biller, message: Mapping[str, Any]) -> Answer:
    state = _state(biller, message)
    fields = _transaction_fields(state, message)
    return Answer(
        _answer(QUERY, message, biller, OK, ERRORS[OK], **fields, TrangThaiGD=transaction_state(state))
    )


def _get_bill(biller: Biller, message: Mapping[str, Any]) -> Answer:
    state = _state(biller, message)
    receipt = state.receipt
    if receipt is None:
        raise PayGovError(NO_RECEIPT)
    pdf = receipts.receipt_pdf(receipt)
    filename = f"bien-lai-{receipt.number}.pdf"
    fields = _transaction_fields(state, message)
    body = _answer(
        GET_BILL,
        message,
        biller,
        OK,
        ERRORS[OK],
        SoTien=fields["SoTien"],
        MaGiaoDich=fields["MaGiaoDich"],
        MaNganHang=fields["MaNganHang"],
        ThoiGianGD=fields["ThoiGianGD"],
        SoBienLai=receipt.number,
        MaTraCuu=receipt.verification_code,
        DuongDanTraCuu=receipts.verify_url(receipt.verification_code),
        TenTep=filename,
        TepBienLai=base64.b64encode(pdf).decode("ascii"),
    )
    return Answer(body, pdf=pdf, filename=filename)


# --- the confirmation --------------------------------------------------------------------------------------------


def confirmation(order: PaymentOrder) -> dict[str, Any]:
    """The national platform's confirmation of `order`'s payment, signed with the biller's secret: what the
    outbox handler pushes to billers with notify_format "paygov". MaLoi "00" for a paid order (refunded since
    included), "08" for one that was not paid."""
    bill = order.bill
    biller = bill.biller
    moment = order.paid_at or order.closed_at or order.created_at
    message: dict[str, Any] = {
        "LoaiBanTin": CONFIRM,
        "MaLoi": OK if order.status in PAID_STATUSES else PAYMENT_FAILED,
        "MaDoiTac": partner_code(biller),
        "MaThamChieu": bill.reference,
        "SoTien": order.amount,
        "MaTienTe": order.currency,
        "MaGiaoDich": order.reference,
        "MaNganHang": order.provider.code,
        "ThoiGianGD": format_time(moment),
        "ThongTinGiaoDich": _transaction_info(bill, order),
    }
    message["MaXacThuc"] = sign(CONFIRM, message, biller.secret)
    return message
