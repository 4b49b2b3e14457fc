"""The electronic receipt: the amount in Vietnamese words, the PDF read back with pypdf, and what the public
verification page may show."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pypdf
import pytest
from PIL import Image

from dichvucong.payments import receipts, services
from dichvucong.payments.models import OrderStatus, PaymentOrder, Receipt, ServiceGroup
from tests.payments.factories import (
    MONDAY_9AM,
    make_bill,
    make_biller,
    make_order,
    make_provider,
    paid_report,
)

LATER = MONDAY_9AM + dt.timedelta(minutes=3)


# --- amount in words -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (5, "Năm đồng"),
        (10, "Mười đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (25, "Hai mươi lăm đồng"),
        (105, "Một trăm linh năm đồng"),
        (110, "Một trăm mười đồng"),
        (1005, "Một nghìn không trăm linh năm đồng"),
        (1015, "Một nghìn không trăm mười lăm đồng"),
        (20_500, "Hai mươi nghìn năm trăm đồng"),
        (105_000, "Một trăm linh năm nghìn đồng"),
        (1_000_001, "Một triệu không trăm linh một đồng"),
        (2_000_000, "Hai triệu đồng"),
        (1_000_000_000, "Một tỷ đồng"),
        (1_000_000_005, "Một tỷ không trăm linh năm đồng"),
        (3_050_000_000, "Ba tỷ không trăm năm mươi triệu đồng"),
        (
            1_234_567_891,
            "Một tỷ hai trăm ba mươi bốn triệu năm trăm sáu mươi bảy nghìn tám trăm chín mươi mốt đồng",
        ),
        (1_000_000_000_000, "Một nghìn tỷ đồng"),
    ],
)
def test_amount_in_words(amount: int, words: str) -> None:
    assert receipts.amount_in_words(amount) == words


def test_a_negative_amount_has_no_words() -> None:
    with pytest.raises(ValueError):
        receipts.amount_in_words(-1)


def test_amounts_in_figures_use_the_vietnamese_thousands_separator() -> None:
    assert receipts.format_amount(2_000_000) == "2.000.000"
    assert receipts.format_amount(950) == "950"


def test_initials_keep_the_first_letter_of_each_word() -> None:
    assert receipts.initials("Nguyễn Văn An") == "N. V. A."
    assert receipts.initials("  đỗ   thị  ") == "Đ. T."


# --- the PDF ---------------------------------------------------------------------------------------------------


def paid_receipt(**bill_changes: Any) -> Receipt:
    order = make_order(make_bill(**bill_changes), make_provider(name="Ngân hàng thử nghiệm VNPAY"))
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    return Receipt.objects.select_related("order").get(order=order)


def text_of(document: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(document))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.mark.django_db
def test_the_receipt_of_a_traffic_fine_says_what_was_paid_to_whom_and_how() -> None:
    receipt = paid_receipt()
    text = text_of(receipts.receipt_pdf(receipt))
    for expected in (
        "BIÊN LAI THU TIỀN PHẠT",
        f"Số: {receipt.number}",
        "Công an",  # the agency (CA-01)
        "3949.0.1054219.00000",  # the beneficiary account
        "Nguyễn Văn An",
        "123/QĐ-XPHC",
        "Biển kiểm soát: 30A-123.45",
        "Tiền phạt",
        "2.000.000",
        "Hai triệu đồng",
        "Ngân hàng thử nghiệm VNPAY",
        "14012345",
        "09 giờ 02 phút, ngày 02/11/2026",  # paid at 02:02 UTC, shown in Hà Nội time
        receipt.verification_code,
    ):
        assert expected in text, expected


@pytest.mark.django_db
def test_the_qr_code_links_to_the_verification_page() -> None:
    receipt = paid_receipt()
    document = receipts.receipt_pdf(receipt)
    page = pypdf.PdfReader(io.BytesIO(document)).pages[0]
    images = list(page.images)
    assert len(images) == 1
    picture = Image.open(io.BytesIO(images[0].data))
    assert picture.size[0] == picture.size[1]
    assert f"/bien-lai/?ma={receipt.verification_code}" in text_of(document)


@pytest.mark.django_db
def test_the_same_receipt_gives_the_same_bytes() -> None:
    receipt = paid_receipt()
    first = receipts.receipt_pdf(receipt)
    receipt.refresh_from_db()
    assert receipts.receipt_pdf(receipt) == first


@pytest.mark.django_db
def test_a_fee_receipt_has_the_fee_title_and_its_lines() -> None:
    biller = make_biller("mot-cua", group=ServiceGroup.FEE)
    lines = [
        {"code": "P1", "name": "Phí thẩm định hồ sơ", "amount": 100_000},
        {"code": "L1", "name": "Lệ phí cấp giấy phép", "amount": 5_000},
    ]
    receipt = paid_receipt(biller=biller, reference="HS-1", amount=105_000, lines=lines, details={})
    text = text_of(receipts.receipt_pdf(receipt))
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ" in text
    assert "Phí thẩm định hồ sơ" in text and "Lệ phí cấp giấy phép" in text
    assert "Một trăm linh năm nghìn đồng" in text
    assert "105.000" in text


@pytest.mark.django_db
def test_other_groups_have_the_general_title() -> None:
    receipt = paid_receipt(biller=make_biller("evn-ha-noi", group=ServiceGroup.ELECTRICITY))
    assert receipts.DEFAULT_TITLE in text_of(receipts.receipt_pdf(receipt))


@pytest.mark.django_db
def test_a_long_title_and_many_lines_flow_onto_a_second_page() -> None:
    lines = [{"code": "", "name": f"Khoản thu số {n} " + "rất dài " * 10, "amount": 1_000} for n in range(60)]
    receipt = paid_receipt(amount=60_000, lines=lines, title="Nộp phạt " * 50)
    document = receipts.receipt_pdf(receipt)
    assert len(pypdf.PdfReader(io.BytesIO(document)).pages) >= 2
    assert receipt.verification_code in text_of(document)


# --- verification ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_verification_shows_the_receipt_with_the_payers_initials_only() -> None:
    receipt = paid_receipt()
    found = receipts.verify(receipt.verification_code)
    assert found is not None
    assert found.number == receipt.number
    assert (found.amount, found.amount_words) == (2_000_000, "Hai triệu đồng")
    assert found.payer_initials == "N. V. A."
    assert found.bill_reference == "123/QĐ-XPHC"
    assert found.status == "valid"
    shown = " ".join(str(value) for value in vars(found).values())
    assert "Nguyễn Văn An" not in shown
    assert receipt.order.reference not in shown
    assert "14012345" not in shown


@pytest.mark.django_db
def test_verification_accepts_the_code_as_people_type_it() -> None:
    receipt = paid_receipt()
    typed = " " + receipt.verification_code.lower()[:6] + "-" + receipt.verification_code.lower()[6:]
    assert receipts.verify(typed) is not None
    assert receipts.normalise_code("o1l-i") == "0111"


@pytest.mark.django_db
def test_an_unknown_code_verifies_nothing() -> None:
    paid_receipt()
    assert receipts.verify("ZZZZZZZZZZZZ") is None
    assert receipts.verify("") is None


@pytest.mark.django_db
def test_verification_says_when_the_money_was_refunded() -> None:
    receipt = paid_receipt()
    PaymentOrder.objects.filter(pk=receipt.order_id).update(status=OrderStatus.REFUNDED)
    found = receipts.verify(receipt.verification_code)
    assert found is not None and found.status == "refunded"
