"""The national payment platform's protocol (`payments.paygov`): MaXacThuc against vectors computed outside the
code (sha256sum), INIT, QUERY and GET_BILL answered by `handle`, and the confirmation pushed to agencies."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.core import signing as django_signing

from dichvucong.payments import links, paygov, services
from dichvucong.payments.models import (
    Bill,
    BillSource,
    BillStatus,
    NotifyFormat,
    OrderChannel,
    OrderStatus,
    PaymentOrder,
    ServiceGroup,
)
from dichvucong.payments.providers.base import (
    CallbackOutcome,
    Checkout,
    PaymentProvider,
    ProviderReport,
    RefundResult,
    ReportedStatus,
)
from tests.payments.factories import MONDAY_9AM, make_biller, make_provider, paid_report

pytestmark = pytest.mark.django_db

PARTNER = "HNI-MOTCUA"
SECRET = "khoa-bi-mat"
REFERENCE = "DVC000123"
SENT_AT = "20261102090000"  # 09:00 in Hà Nội, MONDAY_9AM
LATER = MONDAY_9AM + dt.timedelta(minutes=3)


def one_stop_biller(**overrides: Any) -> Any:
    values: dict[str, Any] = {
        "name": "Hệ thống một cửa điện tử thành phố Hà Nội",
        "group": ServiceGroup.FEE,
        "partner_code": PARTNER,
        "secret": SECRET,
        "notify_format": NotifyFormat.PAYGOV,
        "beneficiary_account": "3511.0.1054219 – Kho bạc Nhà nước Hà Nội",
    }
    values.update(overrides)
    return make_biller("mot-cua-ha-noi", **values)


def signed(kind: str, message: dict[str, Any], secret: str = SECRET) -> dict[str, Any]:
    """The message signed as a one-stop system signs it: written out here from the published field order, not
    through paygov.MAC_FIELDS."""
    order = {
        "INIT": (
            "LoaiBanTin PhienBan MaDoiTac MaThamChieu SoTien LoaiHinhThanhToan MaKenhThanhToan MaThietBi NgonNgu "
            "MaTienTe MaNganHang ThongTinGiaoDich ThoiGianGD Ip"
        ),
        "QUERY": "LoaiBanTin PhienBan MaDoiTac MaThamChieu ThoiGianGD",
        "GET_BILL": "LoaiBanTin PhienBan MaDoiTac MaThamChieu ThoiGianGD",
    }[kind].split()
    text = "|".join([*(str(message.get(name, "")) for name in order), secret])
    return {**message, "MaXacThuc": hashlib.sha256(text.encode()).hexdigest()}


def init_message(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "LoaiBanTin": "INIT",
        "PhienBan": "1.0.6",
        "MaDoiTac": PARTNER,
        "MaThamChieu": REFERENCE,
        "SoTien": "150000",
        "LoaiHinhThanhToan": "PAY",
        "MaKenhThanhToan": "1",
        "MaThietBi": "1",
        "NgonNgu": "vi-VN",
        "MaTienTe": "VND",
        "MaNganHang": "PAYMENT",
        "ThongTinGiaoDich": "THANH TOAN HO SO 000.00.22.H26-260305-0001",
        "ThoiGianGD": SENT_AT,
        "Ip": "10.0.0.8",
        "ThongTinBienLai": {
            "MaDichVu": "2",
            "MaTTHC": "1.001193",
            "TenTTHC": "Đăng ký khai sinh",
            "MaDVC": "1.001193.01",
            "TenDVC": "Đăng ký khai sinh có yếu tố nước ngoài",
            "MaDonVi": "000.00.22.H26",
            "TenDonVi": "Ủy ban nhân dân phường Ba Đình",
            "MaHoSo": "000.00.22.H26-260305-0001",
            "TKThuHuong": "3511.0.1054219",
            "MaNHThuHuong": "KBNN",
            "TenTKThuHuong": "Kho bạc Nhà nước Hà Nội",
            "HoTenNguoiNop": "Trần Thị Bích",
            "SoCMNDNguoiNop": "001190012345",
            "DiaChiNguoiNop": "12 phố Đội Cấn, Ba Đình, Hà Nội",
            "NoiDungThanhToan": "THANH TOAN HO SO 000.00.22.H26-260305-0001",
            "PhiLePhi": [
                {
                    "LoaiPhiLePhi": "Phi",
                    "MaPhiLePhi": "P01",
                    "TenPhiLePhi": "Phí thẩm định",
                    "SoTien": "100000",
                },
                {"LoaiPhiLePhi": "LePhi", "MaPhiLePhi": "L01", "TenPhiLePhi": "Lệ phí", "SoTien": "50000"},
            ],
            "DSKhoanNop": [{"NoiDung": "THANH TOAN HO SO", "SoTien": "150000"}],
        },
    }
    message.update(changes)
    return message


def send(kind: str, message: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    answer = paygov.handle(
        json.dumps(signed(kind, message)).encode(), now=kwargs.pop("now", MONDAY_9AM), **kwargs
    )
    return answer.body


def query_message(**changes: Any) -> dict[str, Any]:
    message = {
        "LoaiBanTin": "QUERY",
        "PhienBan": "1.0.6",
        "MaDoiTac": PARTNER,
        "MaThamChieu": REFERENCE,
        "ThoiGianGD": SENT_AT,
    }
    return message | changes


def bill_of(url: str) -> Bill | None:
    return links.bill_from_token(url.rstrip("/").rsplit("/", 1)[1])


def answer_mac(kind: str, body: dict[str, Any]) -> str:
    return paygov.sign(f"{kind}_ANSWER", body, SECRET)


# --- MaXacThuc -------------------------------------------------------------------------------------------------


def test_mac_of_a_query_matches_a_vector_computed_with_sha256sum() -> None:
    values = ["QUERY", "1.0.6", PARTNER, REFERENCE, SENT_AT]
    assert paygov.mac(values, SECRET) == "c78d7f09bcbdcef8fea3479685e8b2b5a74bb87bda34d0108c8ef8931f42b307"


def test_mac_of_an_init_covers_its_fourteen_fields_in_the_published_order() -> None:
    message = init_message()
    expected = "b92ea34c8ff7d749d7a4a734bd11347f1d32003e4dd5e74ec386fbb6acc26c6f"
    assert paygov.sign("INIT", message, SECRET) == expected


def test_mac_writes_missing_values_as_empty_and_numbers_as_digits() -> None:
    assert (
        paygov.mac(["a", None, "c"], "") == "6b153d8f1767bbadfbac18c899407843e7990a7c8b2a87f89d5290a80bbf62bb"
    )
    assert paygov.mac(["x", 150000], SECRET) == paygov.mac(["x", "150000"], SECRET)


def test_a_mac_in_upper_case_hex_is_accepted_and_a_wrong_one_is_not() -> None:
    message = signed("QUERY", query_message())
    assert paygov.mac_matches("QUERY", {**message, "MaXacThuc": message["MaXacThuc"].upper()}, SECRET)
    assert not paygov.mac_matches("QUERY", {**message, "MaThamChieu": "DVC000124"}, SECRET)
    assert not paygov.mac_matches("QUERY", {**message, "MaXacThuc": ""}, SECRET)


# --- INIT ------------------------------------------------------------------------------------------------------


def test_init_makes_the_bill_and_answers_a_signed_url_to_its_payment_page() -> None:
    one_stop_biller()
    answer = send("INIT", init_message())
    bill = Bill.objects.get(reference=REFERENCE)
    assert answer["MaLoi"] == "00"
    assert answer["UrlThanhToan"].startswith("http") and "/thanh-toan/khoan/" in answer["UrlThanhToan"]
    assert answer["MaXacThuc"] == answer_mac("INIT", answer)
    assert bill.source == BillSource.PAYGOV
    assert bill.amount == 150000
    assert bill.title == "Đăng ký khai sinh có yếu tố nước ngoài"
    assert bill.payer_name == "Trần Thị Bích"
    assert bill.dossier_code == "000.00.22.H26-260305-0001"
    assert [line["amount"] for line in bill.lines] == [100000, 50000]
    assert bill.details["TenDonVi"] == "Ủy ban nhân dân phường Ba Đình"
    assert bill.details["paygov"]["ThongTinGiaoDich"] == "THANH TOAN HO SO 000.00.22.H26-260305-0001"
    assert "SoCMNDNguoiNop" not in bill.details  # the payer's identity number is not kept


def test_init_answer_carries_the_envelope_td_style_systems_read() -> None:
    one_stop_biller()
    answer = send("INIT", init_message())
    assert answer["error_code"] == "0"
    assert json.loads(answer["message"])["UrlThanhToan"] == answer["UrlThanhToan"]


def test_the_same_init_again_makes_nothing_new_and_answers_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    one_stop_biller()
    # The bill page's token carries the time it was signed: three minutes later it would differ.
    clock = [MONDAY_9AM.timestamp()]
    monkeypatch.setattr(django_signing, "time", SimpleNamespace(time=lambda: clock[0]))
    first = send("INIT", init_message())
    clock[0] += 180
    again = send("INIT", init_message(), now=LATER)
    assert Bill.objects.count() == 1
    assert again == first
    assert bill_of(first["UrlThanhToan"]) == Bill.objects.get()


def test_the_same_reference_with_another_amount_is_refused_and_signed() -> None:
    one_stop_biller()
    send("INIT", init_message())
    answer = send("INIT", init_message(SoTien="200000"))
    assert answer["MaLoi"] == paygov.AMOUNT_CONFLICT
    assert answer["MaXacThuc"] == answer_mac("INIT", answer)
    assert Bill.objects.get().amount == 150000


def test_a_tampered_init_is_refused_with_a_signed_answer_and_makes_no_bill() -> None:
    one_stop_biller()
    message = signed("INIT", init_message())
    message["SoTien"] = "1000"
    answer = paygov.handle(json.dumps(message).encode(), now=MONDAY_9AM).body
    assert answer["MaLoi"] == paygov.BAD_MAC
    assert answer["MaXacThuc"] == answer_mac("INIT", answer)
    assert not Bill.objects.exists()


def test_an_unknown_partner_is_refused_unsigned() -> None:
    one_stop_biller()
    answer = send("INIT", init_message(MaDoiTac="KHONG-CO"))
    assert answer["MaLoi"] == paygov.UNKNOWN_PARTNER
    assert answer["MaXacThuc"] == ""
    assert not Bill.objects.exists()


def test_an_inactive_partner_is_unknown() -> None:
    one_stop_biller(is_active=False)
    assert send("INIT", init_message())["MaLoi"] == paygov.UNKNOWN_PARTNER


@pytest.mark.parametrize(
    "changes",
    [
        {"SoTien": "-5"},
        {"SoTien": "15.000"},
        {"SoTien": 0},
        {"MaTienTe": "USD"},
        {"LoaiHinhThanhToan": "REFUND"},
        {"ThoiGianGD": "2026-11-02 09:00"},
        {"ThoiGianGD": "20261302090000"},
        {"MaThamChieu": ""},
        {"MaThamChieu": "x" * 101},
        {"ThongTinBienLai": "không phải đối tượng"},
        {"UrlTraVe": "javascript:alert(1)"},
    ],
)
def test_a_bad_field_is_refused_with_a_signed_answer(changes: dict[str, Any]) -> None:
    one_stop_biller()
    answer = send("INIT", init_message(**changes))
    assert answer["MaLoi"] == paygov.INVALID
    assert answer["MoTaLoi"]
    assert answer["MaXacThuc"] == answer_mac("INIT", answer)
    assert not Bill.objects.exists()


def test_a_body_that_is_not_json_is_refused() -> None:
    answer = paygov.handle(b"<xml/>").body
    assert answer["MaLoi"] == paygov.INVALID


def test_fee_lines_that_do_not_add_up_fall_back_to_the_list_of_payments() -> None:
    one_stop_biller()
    info = init_message()["ThongTinBienLai"] | {
        "PhiLePhi": [{"LoaiPhiLePhi": "Phi", "MaPhiLePhi": "2", "TenPhiLePhi": "Phí", "SoTien": 0}],
        "DSKhoanNop": [{"NoiDung": "Nộp phí hồ sơ", "SoTien": "150000"}],
    }
    send("INIT", init_message(ThongTinBienLai=info))
    assert Bill.objects.get().lines == [{"code": "", "name": "Nộp phí hồ sơ", "amount": 150000}]


def test_init_keeps_the_agencys_return_address() -> None:
    one_stop_biller()
    send("INIT", init_message(UrlTraVe="https://motcua.hanoi.gov.vn/thanh-toan/ket-qua"))
    assert paygov.agency_return_url(Bill.objects.get()) == "https://motcua.hanoi.gov.vn/thanh-toan/ket-qua"


def test_init_for_a_cancelled_bill_is_refused() -> None:
    one_stop_biller()
    send("INIT", init_message())
    Bill.objects.update(status=BillStatus.CANCELLED)
    assert send("INIT", init_message())["MaLoi"] == paygov.BILL_CLOSED


class FakeBank(PaymentProvider):
    """A provider whose payment page is an address naming the order; nothing else is called here."""

    def checkout(self, order: PaymentOrder, **kwargs: Any) -> Checkout:
        return Checkout(url=f"https://nganhang.example/pay?ref={order.reference}&ve={kwargs['return_url']}")

    def parse_notification(self, request: Any) -> ProviderReport:
        raise NotImplementedError

    def acknowledge(self, outcome: CallbackOutcome) -> Any:
        raise NotImplementedError

    def parse_return(self, request: Any) -> ProviderReport:
        raise NotImplementedError

    def query(self, order: PaymentOrder) -> ProviderReport:
        raise NotImplementedError

    def refund(self, order: PaymentOrder, *, amount: int, reference: str, reason: str) -> RefundResult:
        raise NotImplementedError


@pytest.fixture
def fake_bank(settings: Any) -> Any:
    settings.PAYMENT_PROVIDERS = {"fake": "tests.payments.test_paygov.FakeBank"}
    return make_provider("ngan-hang-a", protocol="fake")


def test_init_naming_a_provider_sends_the_payer_straight_to_its_page_with_an_order(fake_bank: Any) -> None:
    one_stop_biller()
    answer = send("INIT", init_message(MaNganHang="NGAN-HANG-A", UrlTraVe="https://motcua.example/ve"))
    order = PaymentOrder.objects.get()
    assert answer["MaLoi"] == "00"
    assert answer["UrlThanhToan"].startswith(f"https://nganhang.example/pay?ref={order.reference}")
    assert "/thanh-toan/tb/ve/ngan-hang-a/" in answer["UrlThanhToan"]
    assert order.channel == OrderChannel.PAYGOV
    assert order.status == OrderStatus.PENDING
    assert order.return_url == "https://motcua.example/ve"
    assert order.client_ip == "10.0.0.8"


def test_the_same_init_naming_a_provider_reuses_its_open_order(fake_bank: Any) -> None:
    one_stop_biller()
    first = send("INIT", init_message(MaNganHang="ngan-hang-a"))
    again = send("INIT", init_message(MaNganHang="ngan-hang-a"), now=LATER)
    assert PaymentOrder.objects.count() == 1
    assert again["UrlThanhToan"] == first["UrlThanhToan"]


def test_an_unknown_provider_code_lets_the_payer_choose_on_the_portal() -> None:
    one_stop_biller()
    answer = send("INIT", init_message(MaNganHang="VCB"))
    assert answer["MaLoi"] == "00"
    assert "/thanh-toan/khoan/" in answer["UrlThanhToan"]
    assert not PaymentOrder.objects.exists()


# --- QUERY -----------------------------------------------------------------------------------------------------


def initiated() -> Bill:
    one_stop_biller()
    send("INIT", init_message())
    return Bill.objects.get()


def test_query_of_a_bill_nobody_has_started_to_pay_is_pending() -> None:
    initiated()
    answer = send("QUERY", query_message())
    assert (answer["MaLoi"], answer["TrangThaiGD"]) == ("00", "3")
    assert answer["MaXacThuc"] == answer_mac("QUERY", answer)


def test_query_while_an_order_is_open_is_pending() -> None:
    bill = initiated()
    services.create_order(bill=bill, provider=make_provider(), now=MONDAY_9AM)
    assert send("QUERY", query_message())["TrangThaiGD"] == "3"


def test_query_of_a_paid_bill_is_success_with_the_order_and_payment_time() -> None:
    bill = initiated()
    order = services.create_order(bill=bill, provider=make_provider(), now=MONDAY_9AM)
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    answer = send("QUERY", query_message())
    assert answer["TrangThaiGD"] == "1"
    assert answer["MaGiaoDich"] == order.reference
    assert answer["MaNganHang"] == order.provider.code
    assert answer["ThoiGianGD"] == "20261102090200"  # paid two minutes after the order, Hà Nội time
    assert answer["SoTien"] == 150000
    assert answer["ThongTinGiaoDich"] == "THANH TOAN HO SO 000.00.22.H26-260305-0001"


def test_query_after_every_attempt_failed_is_failed() -> None:
    bill = initiated()
    order = services.create_order(bill=bill, provider=make_provider(), now=MONDAY_9AM)
    failed = paid_report(order, status=ReportedStatus.FAILED, paid_at=None)
    services.apply_report(provider=order.provider, report=failed, now=LATER)
    assert send("QUERY", query_message())["TrangThaiGD"] == "4"


def test_query_of_a_cancelled_bill_is_failed() -> None:
    bill = initiated()
    Bill.objects.filter(pk=bill.pk).update(status=BillStatus.CANCELLED)
    assert send("QUERY", query_message())["TrangThaiGD"] == "4"


def test_query_of_an_unknown_reference_is_not_found() -> None:
    initiated()
    answer = send("QUERY", query_message(MaThamChieu="DVC999"))
    assert answer["MaLoi"] == paygov.NOT_FOUND
    assert answer["MaXacThuc"] == answer_mac("QUERY", answer)


def test_query_of_another_partners_reference_is_not_found() -> None:
    initiated()
    make_biller("mot-cua-hue", partner_code="HUE-MOTCUA", secret="khac")
    message = signed("QUERY", query_message(MaDoiTac="HUE-MOTCUA"), secret="khac")
    answer = paygov.handle(json.dumps(message).encode()).body
    assert answer["MaLoi"] == paygov.NOT_FOUND


# --- GET_BILL --------------------------------------------------------------------------------------------------


def test_get_bill_before_payment_has_no_receipt() -> None:
    initiated()
    answer = send("GET_BILL", query_message(LoaiBanTin="GET_BILL"))
    assert answer["MaLoi"] == paygov.NO_RECEIPT


def test_get_bill_answers_the_receipt_pdf_with_its_number_and_code() -> None:
    bill = initiated()
    order = services.create_order(bill=bill, provider=make_provider(), now=MONDAY_9AM)
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    result = paygov.handle(json.dumps(signed("GET_BILL", query_message(LoaiBanTin="GET_BILL"))).encode())
    receipt = PaymentOrder.objects.get().receipt
    assert result.body["MaLoi"] == "00"
    assert result.body["SoBienLai"] == receipt.number
    assert result.body["MaTraCuu"] == receipt.verification_code
    assert base64.b64decode(result.body["TepBienLai"]) == result.pdf
    assert result.pdf is not None and result.pdf.startswith(b"%PDF")
    assert result.body["MaXacThuc"] == answer_mac("GET_BILL", result.body)


def test_a_message_sent_to_another_messages_address_is_refused() -> None:
    initiated()
    body = json.dumps(signed("QUERY", query_message())).encode()
    assert paygov.handle(body, expected="GET_BILL").body["MaLoi"] == paygov.INVALID


# --- the confirmation ------------------------------------------------------------------------------------------


def test_confirmation_of_a_paid_order_is_signed_over_the_published_fields() -> None:
    bill = initiated()
    order = services.create_order(bill=bill, provider=make_provider("sandbox-vnpay"), now=MONDAY_9AM)
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    order.refresh_from_db()
    message = paygov.confirmation(order)
    assert message == {
        "LoaiBanTin": "CONFIRM",
        "MaLoi": "00",
        "MaDoiTac": PARTNER,
        "MaThamChieu": REFERENCE,
        "SoTien": 150000,
        "MaTienTe": "VND",
        "MaGiaoDich": order.reference,
        "MaNganHang": "sandbox-vnpay",
        "ThoiGianGD": "20261102090200",
        "ThongTinGiaoDich": "THANH TOAN HO SO 000.00.22.H26-260305-0001",
        "MaXacThuc": message["MaXacThuc"],
    }
    text = (
        f"CONFIRM|00|{PARTNER}|{REFERENCE}|150000|VND|{order.reference}|sandbox-vnpay|20261102090200|"
        f"THANH TOAN HO SO 000.00.22.H26-260305-0001|{SECRET}"
    )
    assert message["MaXacThuc"] == hashlib.sha256(text.encode()).hexdigest()


def test_confirmation_mac_matches_a_vector_computed_with_sha256sum() -> None:
    values = [
        "CONFIRM",
        "00",
        PARTNER,
        REFERENCE,
        150000,
        "VND",
        "TT26110209000012345678",
        "sandbox-vnpay",
        "20261102090200",
        "THANH TOAN HO SO",
    ]
    assert paygov.mac(values, SECRET) == "cbb51dd8edd447d855dc03aca85110a4a1aad52e02d5c547ac44735da0a37ec8"


def test_confirmation_of_a_bill_not_made_by_init_describes_the_order_and_uses_the_biller_code() -> None:
    from tests.payments.factories import make_order

    order = make_order()
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    order.refresh_from_db()
    message = paygov.confirmation(order)
    assert message["MaDoiTac"] == "csgt-ha-noi"
    assert message["ThongTinGiaoDich"] == services.order_description(order)


def test_confirmation_of_an_unpaid_order_is_not_a_success() -> None:
    order = PaymentOrder.objects.get(pk=_open_order().pk)
    assert paygov.confirmation(order)["MaLoi"] == paygov.PAYMENT_FAILED


def _open_order() -> PaymentOrder:
    bill = initiated()
    return services.create_order(bill=bill, provider=make_provider(), now=MONDAY_9AM)
