"""The support pages: the help centre, asking a question (errors next to their fields, nothing typed lost), the
ticket for its asker (owner, or code and phone; a wrong phone finds nothing), following it up, a person's
tickets, and the help block on every procedure and e-form page."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dichvucong.core.models import OutboxMessage
from dichvucong.dossiers import drafts
from dichvucong.dossiers.services import SMS_TOPIC
from dichvucong.support import services
from dichvucong.support.models import EntryKind, Ticket
from tests.conftest import make_citizen, make_faq, make_procedure, portal_session_cookie
from tests.dossiers.factories import BIRTH, birth_procedure_with_eform, citizen_with_address
from tests.support.factories import agent, call, question, scope_of

pytestmark = pytest.mark.django_db
ASK = "web:ticket_new"
PASSPORT = "1.001456"


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def text(response: Any) -> str:
    return unescape(response.content.decode())


def signed_in(user: Any) -> Client:
    client = Client()
    client.cookies["sessionid"] = portal_session_cookie(user)
    return client


def detail_url(ticket: Ticket) -> str:
    return reverse("web:ticket_detail", args=[ticket.code])


def ask_data(**overrides: str) -> dict[str, str]:
    values = {
        "topic": "procedure",
        "subject": "Làm hộ chiếu cho con 5 tuổi cần gì?",
        "description": "Con tôi chưa có căn cước.",
        "procedure_code": PASSPORT,
        "dossier_code": "",
        "caller_name": "Phạm Thu Hoa",
        "caller_phone": "0987 654 321",
        "caller_email": "",
    }
    values.update(overrides)
    return values


# --- the help centre -------------------------------------------------------------------------------------------


def test_the_help_centre_shows_the_hotline_and_where_to_go(client: Client, settings: Any) -> None:
    settings.SUPPORT_HOTLINE = "1900 1234 56"
    page = text(client.get(reverse("web:support")))
    assert "1900 1234 56" in page and 'href="tel:1900123456"' in page
    for url in (reverse("web:faqs"), "/phan-anh-kien-nghi/gui/", reverse(ASK)):
        assert f'href="{url}"' in page, url


def test_a_code_typed_in_the_help_centre_opens_the_ticket_page(client: Client) -> None:
    response = client.get(reverse("web:support"), {"ma": " ht-261102-abc123 "})
    assert response.status_code == 302 and response["Location"] == "/ho-tro/yeu-cau/HT-261102-ABC123/"


# --- asking ----------------------------------------------------------------------------------------------------


def test_the_form_is_prefilled_with_the_procedure_and_the_signed_in_contacts() -> None:
    make_procedure()
    anonymous = text(Client().get(reverse(ASK), {"thu-tuc": PASSPORT}))
    assert f'value="{PASSPORT}"' in anonymous and "Cấp hộ chiếu phổ thông ở trong nước" in anonymous
    assert '<option value="procedure" selected>' in anonymous
    page = text(signed_in(make_citizen()).get(reverse(ASK)))
    assert 'value="Nguyễn Văn An"' in page and 'value="0912345678"' in page
    assert 'value="an.nguyen@example.vn"' in page


def test_errors_are_shown_next_to_their_fields_and_nothing_typed_is_lost(client: Client) -> None:
    make_procedure()
    response = client.post(
        reverse(ASK),
        ask_data(subject="", caller_phone="12345", procedure_code="1.999999", description="Chi tiết"),
    )
    assert response.status_code == 400
    page = text(response)
    assert "<title>Lỗi: Gửi câu hỏi" in page
    assert 'href="#f-subject">Vui lòng nhập nội dung cần hỗ trợ.' in page
    assert re.search(
        r'id="f-caller_phone"[^>]*aria-describedby="f-caller_phone-goi-y f-caller_phone-loi"', page
    )
    assert re.search(r'id="f-caller_phone"[^>]*aria-invalid="true"', page)
    assert 'id="f-caller_phone-loi"' in page and "Số điện thoại không hợp lệ" in page
    assert "Không có thủ tục hành chính mã “1.999999”" in page
    assert 'value="12345"' in page and 'value="1.999999"' in page and ">Chi tiết</textarea>" in page
    assert 'value="Phạm Thu Hoa"' in page
    assert not Ticket.objects.exists()


def test_a_question_is_sent_and_its_page_shown_to_the_asker(client: Client) -> None:
    make_procedure()
    response = client.post(reverse(ASK), ask_data())
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(ticket)
    assert ticket.channel == "web" and ticket.procedure_code == PASSPORT
    page = text(client.get(detail_url(ticket)))
    assert ticket.code in page and "Làm hộ chiếu cho con 5 tuổi cần gì?" in page
    assert "Con tôi chưa có căn cước." in page
    assert OutboxMessage.objects.filter(topic=SMS_TOPIC, payload__to="0987654321").exists()


# --- the ticket, for its asker ---------------------------------------------------------------------------------


@pytest.fixture
def answered() -> Ticket:
    desk = agent()
    ticket = call(desk)
    scope = scope_of(desk)
    services.add_note(ticket_id=ticket.pk, actor=desk, scope=scope, text="Ghi chú nội bộ: người gọi gấp")
    services.reply(ticket_id=ticket.pk, actor=desk, scope=scope, text="Mang tờ khai và giấy chứng sinh.")
    return ticket


def test_the_asker_reads_the_ticket_with_its_code_and_phone(answered: Ticket) -> None:
    client = Client()
    form = client.get(detail_url(answered))
    assert form.status_code == 200 and 'name="contact"' in text(form)
    assert "Mang tờ khai" not in text(form)
    response = client.post(detail_url(answered), {"action": "tra-cuu", "contact": "0987.654.321"})
    assert response.status_code == 302 and response["Location"] == detail_url(answered)
    page = text(client.get(detail_url(answered)))
    assert "Mang tờ khai và giấy chứng sinh." in page
    assert "Ghi chú nội bộ" not in page and "Người gọi hỏi cần mang giấy tờ" not in page  # notes, calls


def test_a_wrong_phone_finds_nothing(answered: Ticket) -> None:
    client = Client()
    response = client.post(detail_url(answered), {"action": "tra-cuu", "contact": "0911111111"})
    assert response.status_code == 404
    page = text(response)
    assert "Không tìm thấy yêu cầu hỗ trợ" in page and "Mang tờ khai" not in page
    unknown = client.post("/ho-tro/yeu-cau/HT-000000-AAAAAA/", {"action": "tra-cuu", "contact": "0987654321"})
    assert unknown.status_code == 404 and "Không tìm thấy yêu cầu hỗ trợ" in text(unknown)
    # Without the look-up, a message cannot be added either.
    assert client.post(detail_url(answered), {"action": "gui", "text": "Xin chào"}).status_code == 200
    assert not answered.entries.filter(kind=EntryKind.MESSAGE).exists()


def test_failed_look_ups_are_limited(answered: Ticket, settings: Any) -> None:
    from dichvucong.web import support_views

    client = Client()
    for _ in range(support_views.LOOKUP_ATTEMPTS):
        client.post(detail_url(answered), {"action": "tra-cuu", "contact": "0911111111"})
    response = client.post(detail_url(answered), {"action": "tra-cuu", "contact": "0987654321"})
    assert response.status_code == 429


def test_the_asker_follows_up(answered: Ticket) -> None:
    client = Client()
    client.post(detail_url(answered), {"action": "tra-cuu", "contact": "0987654321"})
    refused = client.post(detail_url(answered), {"action": "gui", "text": "  "})
    assert refused.status_code == 400 and "Vui lòng nhập nội dung." in text(refused)
    response = client.post(
        detail_url(answered), {"action": "gui", "text": "Con tôi sinh ở nước ngoài thì sao?"}
    )
    assert response.status_code == 302
    message = answered.entries.get(kind=EntryKind.MESSAGE)
    assert message.text == "Con tôi sinh ở nước ngoài thì sao?"
    assert "Con tôi sinh ở nước ngoài thì sao?" in text(client.get(detail_url(answered)))


def test_the_owner_signed_in_reads_it_others_do_not() -> None:
    owner = make_citizen()
    ticket = question(user=owner, caller_phone="", caller_email="")
    assert ticket.subject in text(signed_in(owner).get(detail_url(ticket)))
    stranger = make_citizen(username="0977000111", phone="0977000111", email="")
    page = text(signed_in(stranger).get(detail_url(ticket)))
    assert ticket.subject not in page and 'name="contact"' in page


def test_my_tickets_lists_mine(answered: Ticket) -> None:
    assert Client().get(reverse("web:my_tickets")).status_code == 302  # sign in first
    caller = make_citizen(username="0987654321", phone="0987654321", email="")
    mine = question(user=caller, caller_phone="", caller_email="", subject="Câu hỏi của tôi")
    other = question(caller_phone="0911222333", subject="Câu hỏi của người khác")
    page = text(signed_in(caller).get(reverse("web:my_tickets")))
    assert mine.code in page and answered.code in page  # asked on the site; called from my number
    assert other.code not in page


# --- help in the page ------------------------------------------------------------------------------------------


def test_the_procedure_page_has_its_questions_and_a_way_to_ask(client: Client) -> None:
    make_procedure()
    make_faq()
    page = text(client.get(reverse("web:procedure", args=[PASSPORT])))
    block = page[page.index('<section class="help-block"') :]
    block = block[: block.index("</section>")]
    assert "Câu hỏi thường gặp" in block
    assert "<summary>Làm lại hộ chiếu mất bao lâu?</summary>" in block
    assert "trả hộ chiếu trong 8 ngày làm việc" in block
    assert f'href="{reverse(ASK)}?thu-tuc={PASSPORT}"' in block and "Đặt câu hỏi về thủ tục này" in block
    assert page.count('id="hoi-dap"') == 1


def test_a_new_answer_shows_without_waiting_for_the_body_cache() -> None:
    make_procedure()
    client = signed_in(make_citizen())
    url = reverse("web:procedure", args=[PASSPORT])
    assert "Chưa có câu hỏi nào về thủ tục này." in text(client.get(url))
    make_faq()
    assert "Làm lại hộ chiếu mất bao lâu?" in text(client.get(url))


def test_at_most_five_questions_then_a_link_to_all(client: Client) -> None:
    make_procedure()
    for n in range(7):
        make_faq(code=f"HD-XNC-{n:03d}", question=f"Câu hỏi số {n} về hộ chiếu?")
    page = text(client.get(reverse("web:procedure", args=[PASSPORT])))
    assert page.count('<details class="form-details">') == 5
    assert f"{reverse('web:support')}?thu-tuc={PASSPORT}#hoi-dap" in page
    everything = text(client.get(reverse("web:support"), {"thu-tuc": PASSPORT}))
    assert all(f"Câu hỏi số {n} về hộ chiếu?" in everything for n in range(7))


def test_every_eform_page_has_the_help_block() -> None:
    birth_procedure_with_eform()
    make_faq(code="HD-HT-001", question="Đăng ký khai sinh quá hạn có bị phạt không?", procedures=[BIRTH])
    citizen = citizen_with_address()
    client = signed_in(citizen)
    draft = drafts.start_draft(owner=citizen, procedure_code=BIRTH)
    for url in (
        reverse("web:dossier_start", args=[BIRTH]),
        reverse("web:draft_step", args=[draft.pk, 1]),
        reverse("web:draft_documents", args=[draft.pk]),
        reverse("web:draft_review", args=[draft.pk]),
    ):
        page = text(client.get(url))
        assert "<summary>Đăng ký khai sinh quá hạn có bị phạt không?</summary>" in page, url
        assert f'href="{reverse(ASK)}?thu-tuc={BIRTH}"' in page, url
