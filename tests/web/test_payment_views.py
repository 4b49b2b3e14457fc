"""The payment pages: the groups and the look-up (errors next to the field, the code kept, throttled), a bill
and paying it (signed-in only, an order, the provider's address), the order in each state (owner only, the
polled fragment, the status query rate-limited, cancelling), the receipt (PDF for its owner, public check by
code), the history (only one's own orders, a fixed number of queries) and a dossier's fees."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dichvucong.core.errors import DomainError
from dichvucong.payments import links, services
from dichvucong.payments.models import OrderStatus, PaymentOrder, Receipt
from dichvucong.payments.providers.base import Checkout, ProviderUnavailable, ReportedStatus
from dichvucong.web import payment_views
from tests.conftest import make_citizen, portal_session_cookie
from tests.payments.factories import (
    FINE_DECISION,
    MONDAY_9AM,
    make_bill,
    make_order,
    make_provider,
    paid_report,
)

pytestmark = pytest.mark.django_db
LATER = MONDAY_9AM + dt.timedelta(minutes=3)


@pytest.fixture(autouse=True)
def _no_provider_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches a bank: a status query finds the provider unreachable unless a test says otherwise."""

    class Unreachable:
        def query(self, order: Any) -> Any:
            raise ProviderUnavailable("no network in tests")

    monkeypatch.setattr(services, "plugin_for", lambda provider: Unreachable())


@pytest.fixture
def citizen() -> Any:
    return make_citizen()


@pytest.fixture
def other() -> Any:
    return make_citizen(phone="0987654321", full_name="Trần Thị Bình", email="binh@example.vn")


def sign_in(client: Client, user: Any) -> Client:
    client.cookies["sessionid"] = portal_session_cookie(user)
    return client


@pytest.fixture
def signed_in(client: Client, citizen: Any) -> Client:
    return sign_in(client, citizen)


def text(response: Any) -> str:
    return unescape(response.content.decode())


def lookup(client: Client, group: str, code: str) -> Any:
    return client.get(reverse("web:payment_lookup"), {"nhom": group, "ma": code})


def bill_url(bill: Any) -> str:
    return links.bill_path(bill)


def order_url(order: Any) -> str:
    return reverse("web:payment_order", args=[order.reference])


def fresh_order(user: Any, *, ago: int = 0) -> Any:
    """An order made `ago` seconds before the real now (the order page settles and expires by the real clock)."""
    return make_order(user=user, now=timezone.now() - dt.timedelta(seconds=ago))


def paid_order(user: Any, **kwargs: Any) -> Any:
    order = make_order(user=user, **kwargs)
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    order.refresh_from_db()
    return order


class FakeBills:
    """Stands for the billers' systems: knows the one traffic fine of the factories."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from dichvucong.payments import bills

        self.calls: list[dict[str, Any]] = []
        self.down = False
        self.bills = bills
        monkeypatch.setattr(bills, "lookup_bill", self.lookup_bill)

    def lookup_bill(self, *, group: str, code: str, user: Any = None, now: Any = None) -> Any:
        self.calls.append({"group": group, "code": code, "user": user})
        if self.down:
            raise self.bills.BillerUnavailable("Hệ thống của cơ quan thu tạm thời không phản hồi.")
        if group != "fine" or code != FINE_DECISION:
            raise self.bills.BillNotFound("Không tìm thấy khoản cần nộp với mã đã nhập.")
        return make_bill()


@pytest.fixture
def fake_bills(monkeypatch: pytest.MonkeyPatch) -> FakeBills:
    return FakeBills(monkeypatch)


# --- the groups and the look-up -----------------------------------------------------------------------------------


def test_the_payments_page_explains_each_group_and_links_history_and_verification(client: Client) -> None:
    page = text(client.get(reverse("web:payments")))
    for label in ("Xử phạt vi phạm hành chính", "Tiền điện", "Tạm ứng án phí", "Thuế cá nhân, doanh nghiệp"):
        assert label in page
    assert "Số quyết định xử phạt" in page and "PD01000123456" in page and "Mã số bảo hiểm xã hội" in page
    assert reverse("web:payment_history") in page and reverse("web:receipt_verify") in page
    assert '<label class="field-label" for="ma">' in page and '<label class="field-label" for="nhom">' in page
    assert 'aria-current="page">Thanh toán trực tuyến</a>' in page  # the site's menu


def test_a_group_can_be_chosen_from_its_card(client: Client) -> None:
    page = text(client.get(reverse("web:payments"), {"nhom": "electricity"}))
    assert '<option value="electricity" selected>' in page


def test_a_look_up_without_group_or_code_says_what_is_missing_next_to_each_field(client: Client) -> None:
    response = lookup(client, "", "")
    page = text(response)
    assert response.status_code == 400
    assert "<title>Lỗi: Thanh toán trực tuyến" in page
    assert 'href="#nhom">Vui lòng chọn loại khoản cần nộp.' in page
    assert re.search(r'id="ma"[^>]*aria-describedby="ma-goi-y ma-loi"[^>]*aria-invalid="true"', page)
    assert 'id="ma-loi"' in page and 'id="nhom-loi"' in page


def test_a_bill_not_found_is_reported_next_to_the_code_which_is_kept(
    client: Client, fake_bills: FakeBills
) -> None:
    response = lookup(client, "fine", "999/QĐ-XPHC")
    page = text(response)
    assert response.status_code == 404
    assert 'id="ma-loi"><span class="visually-hidden">Lỗi: </span>Không tìm thấy khoản cần nộp' in page
    assert 'value="999/QĐ-XPHC"' in page and '<option value="fine" selected>' in page


def test_an_unavailable_biller_is_reported_and_not_counted_as_a_miss(
    client: Client, fake_bills: FakeBills
) -> None:
    fake_bills.down = True
    for _ in range(payment_views.LOOKUP_ATTEMPTS + 1):
        response = lookup(client, "fine", FINE_DECISION)
    page = text(response)
    assert response.status_code == 503
    assert "tạm thời không phản hồi" in page and f'value="{FINE_DECISION}"' in page


def test_a_bill_found_opens_its_page(signed_in: Client, citizen: Any, fake_bills: FakeBills) -> None:
    response = lookup(signed_in, "fine", f"  {FINE_DECISION} ")
    assert response.status_code == 302
    assert response["Location"].startswith("/thanh-toan/khoan/")
    assert fake_bills.calls == [{"group": "fine", "code": FINE_DECISION, "user": citizen}]


def test_look_ups_are_refused_after_too_many_misses_from_one_address(
    client: Client, fake_bills: FakeBills
) -> None:
    for n in range(payment_views.LOOKUP_ATTEMPTS):
        assert lookup(client, "fine", f"{n}/QĐ-XPHC").status_code == 404
    response = lookup(client, "fine", FINE_DECISION)
    assert response.status_code == 429 and "quá nhiều lần" in text(response)
    assert len(fake_bills.calls) == payment_views.LOOKUP_ATTEMPTS


# --- a bill -------------------------------------------------------------------------------------------------------


def test_the_bill_page_shows_what_is_owed_and_asks_visitors_to_sign_in(client: Client) -> None:
    bill = make_bill(due_date=dt.date(2026, 11, 30))
    make_provider()
    page = text(client.get(bill_url(bill)))
    assert "Nộp phạt vi phạm hành chính theo quyết định 123/QĐ-XPHC" in page
    assert "2.000.000 đ" in page and "Nguyễn Văn An" in page and "30/11/2026" in page
    assert "30A-123.45" in page and "Vượt đèn đỏ" in page and "Công an" in page
    assert "Đăng nhập để thanh toán" in page and 'name="provider"' not in page


def test_a_token_that_is_not_ours_is_not_found(client: Client) -> None:
    assert client.get(reverse("web:payment_bill", args=["khong-phai-ma"])).status_code == 404


def test_a_signed_in_payer_chooses_among_the_active_providers(signed_in: Client) -> None:
    bill = make_bill()
    make_provider("vnpay-sandbox", "vnpay", name="Cổng VNPAY thử nghiệm")
    make_provider("momo-sandbox", "momo", name="Ví MoMo thử nghiệm", position=1)
    make_provider("old-bank", "vnpay", name="Ngân hàng ngừng nhận", is_active=False)
    page = text(signed_in.get(bill_url(bill)))
    assert '<label for="to-chuc-vnpay-sandbox">Cổng VNPAY thử nghiệm</label>' in page
    assert '<label for="to-chuc-momo-sandbox">Ví MoMo thử nghiệm</label>' in page
    assert "Ngân hàng ngừng nhận" not in page
    assert "Thanh toán 2.000.000 đ" in page


def test_paying_requires_signing_in(client: Client) -> None:
    bill = make_bill()
    provider = make_provider()
    response = client.post(bill_url(bill), {"provider": provider.code})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:sign_in") + "?next=")
    assert not PaymentOrder.objects.exists()


def test_paying_without_choosing_a_provider_says_so(signed_in: Client) -> None:
    bill = make_bill()
    make_provider("vnpay-sandbox")
    make_provider("momo-sandbox", "momo", position=1)
    response = signed_in.post(bill_url(bill), {})
    page = text(response)
    assert response.status_code == 400
    assert 'href="#to-chuc-vnpay-sandbox">Vui lòng chọn ngân hàng hoặc ví điện tử.' in page
    assert not PaymentOrder.objects.exists()


def test_paying_makes_an_order_and_sends_the_payer_to_the_vnpay_gateway(
    signed_in: Client, citizen: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dichvucong.payments.providers import plugin_for

    monkeypatch.setattr(services, "plugin_for", plugin_for)  # the real plugin: it signs a URL, no network
    bill = make_bill()
    provider = make_provider(
        "sandbox-vnpay",
        "vnpay",
        endpoint_url="http://127.0.0.1:8104",
        secret="SANDBOXVNPAYSECRET2026DVCQG00001",
    )
    response = signed_in.post(bill_url(bill), {"provider": provider.code})
    order = PaymentOrder.objects.get()
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == "http://127.0.0.1:8104"
    query = parse_qs(location.query)
    assert query["vnp_TxnRef"] == [order.reference] and query["vnp_Amount"] == ["200000000"]
    assert "vnp_SecureHash" in query
    assert order.user == citizen and order.status == OrderStatus.PENDING and order.amount == 2_000_000


class FakeCheckout:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[dict[str, Any]] = []

    def checkout(self, order: Any, **kwargs: Any) -> Checkout:
        self.calls.append(kwargs)
        if self.fail:
            raise ProviderUnavailable("down")
        return Checkout(url=f"https://bank.example/pay?ref={order.reference}")

    def query(self, order: Any) -> Any:
        raise ProviderUnavailable("down")


def test_the_provider_is_told_where_to_notify_and_where_to_send_the_payer_back(
    signed_in: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = FakeCheckout()
    monkeypatch.setattr(services, "plugin_for", lambda provider: plugin)
    provider = make_provider("sandbox-vnpay")
    response = signed_in.post(bill_url(make_bill()), {"provider": provider.code})
    assert response["Location"].startswith("https://bank.example/pay?ref=TT")
    assert "/thanh-toan/tb/ipn/sandbox-vnpay/" in plugin.calls[0]["notify_url"]
    assert "/thanh-toan/tb/ve/sandbox-vnpay/" in plugin.calls[0]["return_url"]
    assert plugin.calls[0]["language"] == "vi"


def test_an_unreachable_provider_is_explained_on_the_bill_page(
    signed_in: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "plugin_for", lambda provider: FakeCheckout(fail=True))
    provider = make_provider()
    response = signed_in.post(bill_url(make_bill()), {"provider": provider.code})
    page = text(response)
    assert response.status_code == 400
    assert "Tổ chức thanh toán tạm thời không phản hồi" in page and 'id="tom-tat-loi"' in page
    assert f'id="to-chuc-{provider.code}" name="provider" value="{provider.code}" checked' in page


def test_a_paid_bill_says_so_and_links_the_receipt_for_its_payer_only(
    client: Client, citizen: Any, other: Any
) -> None:
    order = paid_order(citizen)
    url = bill_url(order.bill)
    page = text(sign_in(Client(), citizen).get(url))
    assert "Khoản này đã được thanh toán." in page
    assert reverse("web:payment_receipt_pdf", args=[order.reference]) in page
    assert 'name="provider"' not in page
    stranger = text(sign_in(client, other).get(url))
    assert "Khoản này đã được thanh toán." in stranger
    assert order.reference not in stranger
    response = client.post(url, {"provider": order.provider.code})
    assert "Khoản này đã được thanh toán." in text(response) and PaymentOrder.objects.count() == 1


# --- an order -----------------------------------------------------------------------------------------------------


def test_the_order_page_is_shown_to_its_owner_only(client: Client, citizen: Any, other: Any) -> None:
    order = make_order(user=citizen)
    assert client.get(order_url(order)).status_code == 302  # visitors are asked to sign in
    assert sign_in(Client(), other).get(order_url(order)).status_code == 404
    assert sign_in(client, citizen).get(order_url(order)).status_code == 200


def test_a_waiting_order_polls_its_status_and_offers_to_cancel(signed_in: Client, citizen: Any) -> None:
    order = fresh_order(citizen)
    page = text(signed_in.get(order_url(order)))
    assert "Đang chờ xác nhận từ ngân hàng…" in page
    assert f'hx-get="{order_url(order)}?trang-thai=created" hx-trigger="every 3s"' in page
    assert 'id="huy-lenh"' in page and "Tải biên lai" not in page


def test_the_polled_fragment_is_sent_only_when_the_status_changed(signed_in: Client, citizen: Any) -> None:
    order = fresh_order(citizen)
    unchanged = signed_in.get(order_url(order), {"trang-thai": "created"}, HTTP_HX_REQUEST="true")
    assert unchanged.status_code == 204
    paid_at = order.created_at + dt.timedelta(minutes=2)
    services.apply_report(provider=order.provider, report=paid_report(order), now=paid_at)
    changed = signed_in.get(order_url(order), {"trang-thai": "created"}, HTTP_HX_REQUEST="true")
    fragment = text(changed)
    assert changed.status_code == 200 and "<html" not in fragment
    assert fragment.startswith('<div id="trang-thai-lenh">')  # no hx-trigger: the polling stops
    assert "Thanh toán thành công" in fragment
    assert Receipt.objects.get(order=order).number in fragment


def test_a_poll_that_asks_the_provider_shows_the_receipt_it_made(
    signed_in: Client, citizen: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = fresh_order(citizen, ago=60)

    class Paid:
        def query(self, order: Any) -> Any:
            return paid_report(order, at=order.created_at + dt.timedelta(seconds=30))

    monkeypatch.setattr(services, "plugin_for", lambda provider: Paid())
    fragment = text(signed_in.get(order_url(order), {"trang-thai": "created"}, HTTP_HX_REQUEST="true"))
    assert Receipt.objects.get(order=order).number in fragment


def test_a_late_order_asks_the_provider_at_most_once_in_a_while(
    signed_in: Client, citizen: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = fresh_order(citizen, ago=60)
    asked: list[str] = []

    def settle(order: Any, *, now: Any = None) -> None:
        asked.append(order.reference)

    monkeypatch.setattr(services, "settle", settle)
    for _ in range(3):
        signed_in.get(order_url(order), {"trang-thai": "created"}, HTTP_HX_REQUEST="true")
    assert asked == [order.reference]


def test_a_status_query_that_finds_the_payment_shows_it(
    signed_in: Client, citizen: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = fresh_order(citizen, ago=60)

    class Paid:
        def query(self, order: Any) -> Any:
            return paid_report(order, at=order.created_at + dt.timedelta(seconds=30))

    monkeypatch.setattr(services, "plugin_for", lambda provider: Paid())
    page = text(signed_in.get(order_url(order)))
    assert "Thanh toán thành công" in page
    assert Receipt.objects.get(order=order).number in page  # the receipt made meanwhile, not a stale "none"


def test_a_paid_order_shows_the_transaction_and_the_receipt(signed_in: Client, citizen: Any) -> None:
    order = paid_order(citizen)
    receipt = Receipt.objects.get(order=order)
    page = text(signed_in.get(order_url(order)))
    assert "Thanh toán thành công" in page and "2.000.000 đ" in page
    assert 'id="ma-giao-dich">14012345' in page
    assert receipt.number in page and receipt.verification_code in page
    assert reverse("web:payment_receipt_pdf", args=[order.reference]) in page
    assert "hx-trigger" not in page


def test_a_failed_order_says_why_and_offers_to_pay_again(signed_in: Client, citizen: Any) -> None:
    order = make_order(user=citizen)
    failed = paid_report(order, status=ReportedStatus.FAILED, paid_at=None)
    services.apply_report(provider=order.provider, report=failed, now=LATER)
    page = text(signed_in.get(order_url(order)))
    assert "Thanh toán không thành công" in page and "không bị trừ tiền" in page
    assert f'href="{bill_url(order.bill)}" id="thanh-toan-lai"' in page


def test_money_collected_after_the_deadline_is_said_to_be_refunded(signed_in: Client, citizen: Any) -> None:
    order = make_order(user=citizen)
    late = order.expires_at + dt.timedelta(hours=1)
    services.apply_report(provider=order.provider, report=paid_report(order, at=late), now=late)
    page = text(signed_in.get(order_url(order)))
    assert "Lệnh thanh toán đã hết hạn" in page
    assert "Ngân hàng đã thu 2.000.000 đ cho lệnh này" in page and "sẽ được hoàn lại" in page


def test_the_owner_cancels_a_waiting_order(signed_in: Client, citizen: Any) -> None:
    order = fresh_order(citizen)
    response = signed_in.post(order_url(order))
    order.refresh_from_db()
    assert response.status_code == 302 and order.status == OrderStatus.CANCELLED
    page = text(signed_in.get(order_url(order)))
    assert "Đã hủy lệnh thanh toán." in page and "Lệnh thanh toán đã hủy" in page


def test_a_paid_order_cannot_be_cancelled(signed_in: Client, citizen: Any) -> None:
    order = paid_order(citizen)
    response = signed_in.post(order_url(order))
    order.refresh_from_db()
    assert response.status_code == 400 and "Lệnh thanh toán này đã kết thúc." in text(response)
    assert order.status == OrderStatus.PAID


def test_someone_else_cannot_cancel_an_order(client: Client, citizen: Any, other: Any) -> None:
    order = make_order(user=citizen)
    assert sign_in(client, other).post(order_url(order)).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED


# --- the receipt --------------------------------------------------------------------------------------------------


def test_the_receipt_pdf_is_an_attachment_for_the_owner_only(
    client: Client, citizen: Any, other: Any
) -> None:
    order = paid_order(citizen)
    receipt = Receipt.objects.get(order=order)
    url = reverse("web:payment_receipt_pdf", args=[order.reference])
    response = sign_in(Client(), citizen).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == f'attachment; filename="bien-lai-{receipt.number}.pdf"'
    assert sign_in(client, other).get(url).status_code == 404


def test_an_unpaid_order_has_no_receipt(signed_in: Client, citizen: Any) -> None:
    order = make_order(user=citizen)
    assert signed_in.get(reverse("web:payment_receipt_pdf", args=[order.reference])).status_code == 404


def test_anyone_can_check_a_receipt_by_its_verification_code(client: Client, citizen: Any) -> None:
    order = paid_order(citizen)
    receipt = Receipt.objects.get(order=order)
    response = client.get(reverse("web:receipt_verify"), {"ma": receipt.verification_code.lower()})
    page = text(response)
    assert response.status_code == 200 and "Biên lai hợp lệ" in page
    assert receipt.number in page and "2.000.000 đ" in page and FINE_DECISION in page
    assert "N. V. A." in page and "Nguyễn Văn An" not in page  # the payer's initials only


def test_every_miss_of_the_receipt_check_gets_the_same_answer_and_is_limited(
    client: Client, citizen: Any
) -> None:
    receipt = Receipt.objects.get(order=paid_order(citizen))
    answers = set()
    for n in range(payment_views.LOOKUP_ATTEMPTS):
        response = client.get(reverse("web:receipt_verify"), {"ma": f"ZZZZ{n:08d}"})
        assert response.status_code == 404
        page = text(response)
        answers.add(
            page[page.index('id="tom-tat-loi"') : page.index("</div>", page.index('id="tom-tat-loi"'))]
        )
    assert len(answers) == 1 and "Không tìm thấy biên lai" in answers.pop()
    response = client.get(reverse("web:receipt_verify"), {"ma": receipt.verification_code})
    assert response.status_code == 429


def test_the_receipt_check_page_asks_for_the_code(client: Client) -> None:
    page = text(client.get(reverse("web:receipt_verify")))
    assert '<label class="field-label" for="ma">Mã xác thực</label>' in page


# --- the history --------------------------------------------------------------------------------------------------


def test_the_history_lists_only_the_payers_orders_in_a_fixed_number_of_queries(
    signed_in: Client, citizen: Any, other: Any, django_assert_max_num_queries: Any
) -> None:
    from tests.payments.factories import make_biller

    provider = make_provider()
    biller = make_biller()
    mine = paid_order(citizen, bill=make_bill(biller, reference="1/QĐ-XPHC"), provider=provider)
    make_order(make_bill(biller, reference="2/QĐ-XPHC"), provider, user=other)
    with django_assert_max_num_queries(8):
        response = signed_in.get(reverse("web:payment_history"))
    page = text(response)
    assert mine.reference in page and "1/QĐ-XPHC" in page and "2/QĐ-XPHC" not in page
    assert Receipt.objects.get(order=mine).number in page and 'id="trang-sau"' not in page
    for n in range(3, 30):
        at = MONDAY_9AM + dt.timedelta(minutes=n)
        make_order(make_bill(biller, reference=f"{n}/QĐ-XPHC"), provider, user=citizen, now=at)
    with django_assert_max_num_queries(8):
        page = text(signed_in.get(reverse("web:payment_history")))
    assert page.count('<li class="card">') == 20
    assert "định 29/QĐ-XPHC</a>" in page and "định 1/QĐ-XPHC</a>" not in page
    older = re.search(r'href="(/thanh-toan/lich-su/\?sau=[^"]+)"', page)
    assert older is not None
    page = text(signed_in.get(unescape(older.group(1))))
    assert page.count('<li class="card">') == 8
    assert "định 1/QĐ-XPHC</a>" in page and "định 29/QĐ-XPHC</a>" not in page


def test_a_broken_history_cursor_starts_again_from_the_newest(signed_in: Client, citizen: Any) -> None:
    order = make_order(user=citizen)
    response = signed_in.get(reverse("web:payment_history"), {"sau": "khong-hop-le"})
    assert response.status_code == 200 and order.reference in text(response)


def test_the_history_asks_visitors_to_sign_in(client: Client) -> None:
    response = client.get(reverse("web:payment_history"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:sign_in"))


# --- a dossier's fees ---------------------------------------------------------------------------------------------


def _dossier_with_fee(owner: Any) -> Any:
    from dichvucong.payments.models import ServiceGroup
    from tests.dossiers.factories import birth_procedure_with_eform, submitted_dossier
    from tests.payments.factories import make_biller

    birth_procedure_with_eform()
    dossier = submitted_dossier(owner)
    make_biller("mot-cua", name="Hệ thống một cửa", group=ServiceGroup.FEE, agency=dossier.agency)
    dossier.details["fees"] = [{"MaLePhi": "LP01", "SoTien": 50_000, "MoTa": "Lệ phí đăng ký"}]
    dossier.save(update_fields=["details"])
    return dossier


def test_the_dossier_page_offers_to_pay_its_fees(
    signed_in: Client, citizen: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    dossier = _dossier_with_fee(citizen)
    page = text(signed_in.get(reverse("web:dossier", args=[dossier.code])))
    assert "50.000 đồng – Lệ phí đăng ký" in page
    assert f'action="{reverse("web:dossier_pay", args=[dossier.code])}"' in page
    dossier.details["fees"] = [{"MaLePhi": "", "SoTien": 0, "MoTa": "Miễn lệ phí"}]
    dossier.save(update_fields=["details"])
    assert 'id="nop-phi"' not in text(signed_in.get(reverse("web:dossier", args=[dossier.code])))


def test_paying_a_dossiers_fees_opens_its_bill(
    signed_in: Client, citizen: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    dossier = _dossier_with_fee(citizen)
    response = signed_in.post(reverse("web:dossier_pay", args=[dossier.code]))
    assert response.status_code == 302 and response["Location"].startswith("/thanh-toan/khoan/")
    page = text(signed_in.get(response["Location"]))
    assert "50.000 đ" in page and dossier.code in page


def test_a_dossier_without_fees_due_says_so(
    signed_in: Client, citizen: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    dossier = _dossier_with_fee(citizen)
    dossier.details["fees"] = []
    dossier.save(update_fields=["details"])
    response = signed_in.post(reverse("web:dossier_pay", args=[dossier.code]), follow=True)
    assert "Hồ sơ này không có phí, lệ phí phải nộp." in text(response)


def test_a_dossier_fee_refused_comes_back_to_the_dossier_page(
    signed_in: Client, citizen: Any, settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dichvucong.payments import bills

    settings.MEDIA_ROOT = tmp_path
    dossier = _dossier_with_fee(citizen)

    def refuse(code: str, *, user: Any) -> Any:
        raise DomainError("Hồ sơ này không còn khoản phí phải nộp.")

    monkeypatch.setattr(bills, "bill_for_dossier", refuse)
    response = signed_in.post(reverse("web:dossier_pay", args=[dossier.code]), follow=True)
    assert "Hồ sơ này không còn khoản phí phải nộp." in text(response)


def test_someone_elses_dossier_cannot_be_paid_from_the_portal(
    client: Client, citizen: Any, other: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    dossier = _dossier_with_fee(citizen)
    response = sign_in(client, other).post(reverse("web:dossier_pay", args=[dossier.code]))
    assert response.status_code == 404
    assert not PaymentOrder.objects.exists()
