"""The national payment platform's addresses under PAYGOV_PATH, driven by a one-stop system written here from the
published protocol (fields, order of MaXacThuc, LoaiBanTin), as an existing system would call them."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
from typing import Any

import pypdf
import pytest
from django.test import Client

from dichvucong.payments import services
from dichvucong.payments.models import Bill, NotifyFormat, PaymentOrder, ServiceGroup
from tests.payments.factories import MONDAY_9AM, make_biller, make_provider, paid_report

pytestmark = pytest.mark.django_db

PARTNER = "HNI-MOTCUA"
SECRET = "khoa-bi-mat-cua-mot-cua"


class OneStopSystem:
    """An agency one-stop system as the protocol describes it: JSON POSTs, MaXacThuc = SHA-256 of the fields
    joined with "|" and the secret last, answers read from MaLoi."""

    INIT_FIELDS = [
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
    ]
    LOOKUP_FIELDS = ["LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "ThoiGianGD"]

    def __init__(self, client: Client, base: str = "/paygov/") -> None:
        self.client = client
        self.base = base

    @staticmethod
    def mac(message: dict[str, Any], fields: list[str]) -> str:
        text = "|".join(str(message[name]) for name in fields) + "|" + SECRET
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def post(self, message: dict[str, Any], path: str = "", **headers: str) -> Any:
        return self.client.post(
            self.base + path, json.dumps(message), content_type="application/json", headers=headers
        )

    def init(self, reference: str, amount: int, path: str = "") -> Any:
        message = {
            "LoaiBanTin": "INIT",
            "PhienBan": "1.0.6",
            "MaDoiTac": PARTNER,
            "MaThamChieu": reference,
            "SoTien": str(amount),
            "LoaiHinhThanhToan": "PAY",
            "MaKenhThanhToan": "1",
            "MaThietBi": "1",
            "NgonNgu": "vi-VN",
            "MaTienTe": "VND",
            "MaNganHang": "PAYMENT",
            "ThongTinGiaoDich": f"THANH TOAN HO SO {reference}",
            "ThoiGianGD": "20261102090000",
            "Ip": "10.1.2.3",
            "ThongTinBienLai": {
                "MaDichVu": "2",
                "MaTTHC": "1.004227",
                "TenTTHC": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
                "MaHoSo": reference,
                "TenDonVi": "Ủy ban nhân dân phường Ba Đình",
                "HoTenNguoiNop": "Lê Văn Cường",
                "PhiLePhi": [
                    {
                        "LoaiPhiLePhi": "LePhi",
                        "MaPhiLePhi": "2",
                        "TenPhiLePhi": "Lệ phí cấp phép",
                        "SoTien": "75000",
                    }
                ],
                "DSKhoanNop": [{"NoiDung": f"THANH TOAN HO SO {reference}", "SoTien": "75000"}],
            },
        }
        message["MaXacThuc"] = self.mac(message, self.INIT_FIELDS)
        return self.post(message, path)

    def lookup(self, kind: str, reference: str, path: str = "", **headers: str) -> Any:
        message = {
            "LoaiBanTin": kind,
            "PhienBan": "1.0.6",
            "MaDoiTac": PARTNER,
            "MaThamChieu": reference,
            "ThoiGianGD": "20261102090000",
        }
        message["MaXacThuc"] = self.mac(message, self.LOOKUP_FIELDS)
        return self.post(message, path, **headers)


@pytest.fixture
def one_stop(client: Client) -> OneStopSystem:
    make_biller(
        "mot-cua-ha-noi",
        name="Hệ thống một cửa điện tử thành phố Hà Nội",
        group=ServiceGroup.FEE,
        partner_code=PARTNER,
        secret=SECRET,
        notify_format=NotifyFormat.PAYGOV,
    )
    return OneStopSystem(client)


def pay(reference: str) -> PaymentOrder:
    """The payer pays on the portal: an order, and the provider's verified report of its payment."""
    bill = Bill.objects.get(reference=reference)
    order = services.create_order(bill=bill, provider=make_provider(), now=MONDAY_9AM)
    services.apply_report(
        provider=order.provider, report=paid_report(order), now=MONDAY_9AM + dt.timedelta(minutes=3)
    )
    order.refresh_from_db()
    return order


def pdf_text(document: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(document))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_a_one_stop_system_inits_the_payer_pays_query_says_paid_and_get_bill_gives_the_receipt(
    one_stop: OneStopSystem,
) -> None:
    started = one_stop.init("000.00.22.H26-261102-0007", 75000)
    assert started.status_code == 200
    assert started.json()["MaLoi"] == "00"
    payment_page = started.json()["UrlThanhToan"]
    assert "/thanh-toan/khoan/" in payment_page

    pending = one_stop.lookup("QUERY", "000.00.22.H26-261102-0007").json()
    assert (pending["MaLoi"], pending["TrangThaiGD"]) == ("00", "3")

    order = pay("000.00.22.H26-261102-0007")

    paid = one_stop.lookup("QUERY", "000.00.22.H26-261102-0007").json()
    assert (paid["MaLoi"], paid["TrangThaiGD"], paid["MaGiaoDich"]) == ("00", "1", order.reference)

    bill = one_stop.lookup("GET_BILL", "000.00.22.H26-261102-0007").json()
    assert bill["MaLoi"] == "00"
    text = pdf_text(base64.b64decode(bill["TepBienLai"]))
    assert bill["SoBienLai"] in text
    assert bill["MaTraCuu"] in text
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ" in text
    assert "Bảy mươi lăm nghìn đồng" in text


@pytest.mark.parametrize("path", ["init/", "INIT", "Init/"])
def test_init_is_taken_at_its_own_address_in_any_case_with_or_without_the_slash(
    one_stop: OneStopSystem, path: str
) -> None:
    assert one_stop.init("HS-1", 75000, path=path).json()["MaLoi"] == "00"


@pytest.mark.parametrize(
    ("kind", "path"), [("QUERY", "query/"), ("GET_BILL", "get-bill/"), ("GET_BILL", "GET_BILL")]
)
def test_query_and_get_bill_are_taken_at_their_own_addresses(
    one_stop: OneStopSystem, kind: str, path: str
) -> None:
    one_stop.init("HS-2", 75000)
    pay("HS-2")
    assert one_stop.lookup(kind, "HS-2", path=path).json()["MaLoi"] == "00"


def test_the_pdf_address_answers_the_receipt_file_itself(one_stop: OneStopSystem) -> None:
    one_stop.init("HS-3", 75000)
    receipt = pay("HS-3").receipt
    response = one_stop.lookup("GET_BILL", "HS-3", path="get-bill.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert receipt.verification_code in pdf_text(response.content)


def test_asking_for_a_pdf_gets_the_file_at_the_common_address(one_stop: OneStopSystem) -> None:
    one_stop.init("HS-4", 75000)
    pay("HS-4")
    response = one_stop.lookup("GET_BILL", "HS-4", Accept="application/pdf")
    assert response.content.startswith(b"%PDF")


def test_the_pdf_address_answers_json_when_there_is_no_receipt(one_stop: OneStopSystem) -> None:
    one_stop.init("HS-5", 75000)
    response = one_stop.lookup("GET_BILL", "HS-5", path="get-bill.pdf")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["MaLoi"] == "07"


def test_a_refusal_is_still_http_200_with_its_code(one_stop: OneStopSystem) -> None:
    message = {"LoaiBanTin": "QUERY", "PhienBan": "1.0.6", "MaDoiTac": PARTNER, "MaThamChieu": "HS-6"}
    response = one_stop.post({**message, "ThoiGianGD": "20261102090000", "MaXacThuc": "0" * 64})
    assert response.status_code == 200
    assert response.json()["MaLoi"] == "02"


def test_a_message_of_another_kind_at_a_messages_address_is_refused(one_stop: OneStopSystem) -> None:
    one_stop.init("HS-7", 75000)
    assert one_stop.lookup("QUERY", "HS-7", path="init/").json()["MaLoi"] == "01"


def test_the_addresses_need_no_csrf_token(one_stop: OneStopSystem) -> None:
    one_stop.client = Client(enforce_csrf_checks=True)
    assert one_stop.init("HS-8", 75000).json()["MaLoi"] == "00"


def test_get_is_refused(client: Client) -> None:
    response = client.get("/paygov/")
    assert response.status_code == 405
    assert response.json()["MaLoi"] == "01"


def test_the_answer_keeps_vietnamese_letters(one_stop: OneStopSystem) -> None:
    response = one_stop.lookup("QUERY", "KHONG-CO")
    assert "Không tìm thấy giao dịch".encode() in response.content
    assert response.json()["MaLoi"] == "05"


def test_times_in_answers_are_hanoi_time(one_stop: OneStopSystem) -> None:
    one_stop.init("HS-9", 75000)
    pay("HS-9")  # paid at 02:02 UTC
    assert one_stop.lookup("QUERY", "HS-9").json()["ThoiGianGD"] == "20261102090200"
