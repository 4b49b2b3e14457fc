"""The portal's pages, through the Django test client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dichvucong.catalogue.services import save_life_event
from tests.conftest import make_faq, make_procedure

pytestmark = pytest.mark.django_db


def html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def catalogue(db: None) -> dict[str, Any]:
    """The passport procedure (two versions: the first superseded), birth registration, a FAQ, a life event."""
    make_procedure(summary="Phiên bản cũ của thủ tục cấp hộ chiếu.")
    passport = make_procedure(
        decision="1234/QĐ-BCA",
        implementing_agency="Phòng Quản lý xuất nhập cảnh Công an tỉnh",
        authorised_agency="Không có",
        coordinating_agencies="Cục Quản lý xuất nhập cảnh",
        receiving_address="Trụ sở Phòng Quản lý xuất nhập cảnh",
        conditions="Công dân không thuộc diện chưa được xuất cảnh.",
        related_procedures=["1.001193", "1.014061"],
        documents=[
            {"name": "Tờ khai đề nghị cấp hộ chiếu (mẫu TK01)", "originals": 1, "copies": 1},
            {"group": "Giấy tờ phải xuất trình", "name": "Thẻ căn cước", "originals": 1, "required": True},
        ],
        methods=[
            {
                "channel": "online",
                "time_limit": 8,
                "time_unit": "working_days",
                "fees": [{"amount": 160000, "description": "Lệ phí cấp hộ chiếu trực tuyến"}],
            },
            {
                "channel": "post",
                "time_limit": None,
                "time_limit_text": "Theo thời gian chuyển phát",
                "fees": [{"kind": "charge", "amount": 0}, {"amount": None, "description": "Theo quy định"}],
            },
        ],
        results=[{"name": "Hộ chiếu phổ thông", "code": "KQ.G15.000031"}],
        legal_basis=[
            {
                "number": "49/2019/QH14",
                "title": "Luật Xuất cảnh, nhập cảnh của công dân Việt Nam",
                "issued_on": "2019-11-22",
                "issuer": "Quốc hội",
            }
        ],
    )
    birth = make_procedure(
        code="1.001193",
        name="Đăng ký khai sinh",
        name_en="Birth registration",
        summary="Đăng ký khai sinh cho trẻ em mới sinh.",
        summary_en="Registering the birth of a child.",
        fields=["Hộ tịch"],
        managing_agency="BTP",
        levels=["commune"],
        competent_agency="Ủy ban nhân dân cấp xã",
        steps=[{"title": "Nộp tờ khai", "description": "Nộp tờ khai đăng ký khai sinh."}],
        online_level="partial",
    )
    faq = make_faq()
    save_life_event(
        slug="co-con-nho",
        name="Có con nhỏ",
        name_en="Having a baby",
        description="Khai sinh và bảo hiểm y tế cho trẻ.",
        description_en="Birth registration and health insurance.",
        audience="citizen",
        procedure_codes=["1.001193", "9.999999"],
        position=0,
    )
    return {"passport": passport, "birth": birth, "faq": faq}


# --- layout and home -------------------------------------------------------------------------------------------


def test_home_shows_featured_procedures_life_events_and_fields(
    client: Client, catalogue: dict[str, Any]
) -> None:
    response = client.get(reverse("web:home"))
    body = html(response)
    assert response.status_code == 200
    assert '<html lang="vi">' in body
    assert "Thủ tục được sử dụng nhiều" in body
    # Featured order: 1.001193 comes before 1.001456.
    assert body.index("Đăng ký khai sinh") < body.index("Cấp hộ chiếu phổ thông ở trong nước")
    assert reverse("web:life_event", args=["co-con-nho"]) in body
    assert "Có con nhỏ" in body
    assert "?field=ho-tich" in body
    assert 'hx-get="/goi-y/"' in body
    assert 'aria-live="polite"' in body
    assert "Tìm kiếm thủ tục hành chính, câu hỏi" in body


def test_layout_has_skip_link_landmarks_language_switch_and_hotline(client: Client, db: None) -> None:
    body = html(client.get("/"))
    assert 'href="#noi-dung"' in body
    assert '<main id="noi-dung"' in body
    assert "<header" in body and "<footer" in body
    assert f'href="{reverse("web:language", args=["en"])}?next=/"' in body
    assert "Tiếng Việt" in body and "English" in body
    assert "18001096" in body


def test_life_event_lists_its_published_procedures(client: Client, catalogue: dict[str, Any]) -> None:
    body = html(client.get(reverse("web:life_event", args=["co-con-nho"])))
    assert "Đăng ký khai sinh" in body
    assert reverse("web:procedure", args=["1.001193"]) in body


def test_unknown_life_event_is_404(client: Client, db: None) -> None:
    assert client.get("/su-kien/khong-co/").status_code == 404


def test_suggest_returns_links_for_what_is_typed(client: Client, catalogue: dict[str, Any]) -> None:
    response = client.get(reverse("web:suggest"), {"q": "ho chieu"}, HTTP_HX_REQUEST="true")
    body = html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert reverse("web:procedure", args=["1.001456"]) in body
    assert "<mark>" in body


def test_suggest_ignores_a_single_letter(client: Client, catalogue: dict[str, Any]) -> None:
    assert "<li>" not in html(client.get(reverse("web:suggest"), {"q": "h"}))


# --- search ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["hộ chiếu", "ho chieu"])
def test_search_finds_with_or_without_diacritics_and_highlights(
    client: Client, catalogue: dict[str, Any], query: str
) -> None:
    body = html(client.get(reverse("web:search"), {"q": query}))
    assert reverse("web:procedure", args=["1.001456"]) in body
    assert "<mark>hộ</mark> <mark>chiếu</mark>" in body
    assert "Thủ tục" in body and "Hỏi đáp" in body
    assert reverse("web:faq", args=["HD-XNC-001"]) in body


def test_search_marks_superseded_versions(client: Client, catalogue: dict[str, Any]) -> None:
    body = html(client.get(reverse("web:search"), {"q": "ho chieu", "kind": "procedure"}))
    assert "Đã được thay thế" in body
    assert "Dịch vụ công trực tuyến toàn trình" in body
    assert "Cấp tỉnh" in body


def test_search_reports_count_and_corrections(client: Client, catalogue: dict[str, Any]) -> None:
    body = html(client.get(reverse("web:search"), {"q": "ho chiue"}))
    assert "Đã tìm cả" in body
    assert re.search(r"\d+ kết quả", body)


def test_search_notes_when_not_every_word_matched(client: Client, catalogue: dict[str, Any]) -> None:
    body = html(client.get(reverse("web:search"), {"q": "hộ chiếu xyzzyqwv"}))
    assert "Không có kết quả chứa tất cả các từ" in body


def test_search_filters_by_kind_field_and_level(client: Client, catalogue: dict[str, Any]) -> None:
    faq_only = html(client.get(reverse("web:search"), {"q": "ho chieu", "kind": "faq"}))
    assert reverse("web:faq", args=["HD-XNC-001"]) in faq_only
    assert reverse("web:procedure", args=["1.001456"]) not in faq_only

    civil = html(client.get(reverse("web:search"), {"field": "ho-tich"}))
    assert reverse("web:procedure", args=["1.001193"]) in civil
    assert reverse("web:procedure", args=["1.001456"]) not in civil

    commune = html(client.get(reverse("web:search"), {"level": "commune", "kind": "procedure"}))
    assert reverse("web:procedure", args=["1.001193"]) in commune
    assert reverse("web:procedure", args=["1.001456"]) not in commune
    assert '<option value="commune" selected>' in commune


def test_search_filter_form_is_labelled_and_works_without_js(client: Client, db: None) -> None:
    body = html(client.get(reverse("web:search")))
    for name in ("kind", "field", "level", "audience", "online_level", "province", "agency"):
        match = re.search(rf'<select id="([^"]+)" name="{name}"', body)
        assert match, name
        assert f'<label for="{match.group(1)}">' in body
    assert 'method="get"' in body
    assert "Lọc kết quả" in body


def test_search_ignores_unknown_filter_values(client: Client, catalogue: dict[str, Any]) -> None:
    response = client.get(
        reverse("web:search"),
        {
            "q": "ho chieu",
            "level": "galaxy",
            "kind": "x",
            "field": "khong-co",
            "agency": "NOPE",
            "province": "99",
            "audience": "robots",
            "online_level": "max",
            "page": "abc",
        },
    )
    assert response.status_code == 200
    assert reverse("web:procedure", args=["1.001456"]) in html(response)


def test_empty_search_browses_everything(client: Client, catalogue: dict[str, Any]) -> None:
    body = html(client.get(reverse("web:search")))
    assert reverse("web:procedure", args=["1.001193"]) in body
    assert reverse("web:procedure", args=["1.001456"]) in body


def test_search_paginates(client: Client, catalogue: dict[str, Any], settings: Any) -> None:
    settings.SEARCH_PAGE_SIZE = 1
    first = html(client.get(reverse("web:search"), {"kind": "procedure"}))
    assert "Trang 1/3" in first
    assert 'rel="next"' in first
    last = html(client.get(reverse("web:search"), {"kind": "procedure", "page": "3"}))
    assert 'rel="prev"' in last and 'rel="next"' not in last


def test_search_page_query_count_is_bounded(
    client: Client, catalogue: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for n in range(10):
        make_faq(code=f"HD-XNC-1{n:02d}", question=f"Hộ chiếu câu hỏi số {n}?")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("web:search"), {"q": "ho chieu"})
    assert response.status_code == 200


# --- procedure -------------------------------------------------------------------------------------------------


def test_procedure_page_shows_every_section(client: Client, catalogue: dict[str, Any]) -> None:
    body = html(client.get(reverse("web:procedure", args=["1.001456"])))
    for section_id, heading in [
        ("thong-tin-chung", "Thông tin chung"),
        ("co-quan", "Cơ quan thực hiện"),
        ("trinh-tu-thuc-hien", "Trình tự thực hiện"),
        ("cach-thuc-thuc-hien", "Cách thức thực hiện"),
        ("thanh-phan-ho-so", "Thành phần hồ sơ"),
        ("dieu-kien", "Yêu cầu, điều kiện thực hiện"),
        ("ket-qua", "Kết quả thực hiện"),
        ("can-cu-phap-ly", "Căn cứ pháp lý"),
        ("thu-tuc-lien-quan", "Thủ tục hành chính liên quan"),
        ("nguon", "Nguồn dữ liệu"),
        ("lich-su-phien-ban", "Lịch sử phiên bản"),
        ("hoi-dap", "Hỏi đáp về thủ tục"),
    ]:
        assert f'<h2 id="{section_id}">{heading}</h2>' in body
    for text in [
        "1.001456",
        "Cấp hộ chiếu phổ thông ở trong nước",
        "1234/QĐ-BCA",
        "Cấp tỉnh",
        "Quản lý xuất nhập cảnh",
        "Công dân Việt Nam",
        reverse("web:agency", args=["XNC"]),
        "Cơ quan Quản lý xuất nhập cảnh Công an cấp tỉnh",
        "Phòng Quản lý xuất nhập cảnh Công an tỉnh",
        "Cục Quản lý xuất nhập cảnh",
        "Trụ sở Phòng Quản lý xuất nhập cảnh",
        "Nộp hồ sơ",
        "Trực tuyến",
        "8 ngày làm việc",
        "Theo thời gian chuyển phát",
        "Giấy tờ phải nộp",
        "Giấy tờ phải xuất trình",
        "1 bản chính, 1 bản sao",
        "Bắt buộc",
        "Công dân không thuộc diện chưa được xuất cảnh.",
        "Hộ chiếu phổ thông",
        "KQ.G15.000031",
        "49/2019/QH14",
        "22/11/2019",
        "Quốc hội",
        reverse("web:procedure", args=["1.001193"]),
        "1.014061",
        "Dịch vụ công trực tuyến toàn trình",
        "https://dichvucong.gov.vn/",
        "Phiên bản 1",
        "Phiên bản 2",
        reverse("web:faq", args=["HD-XNC-001"]),
        "Đặt câu hỏi",
        reverse("web:procedure_print", args=["1.001456"]),
    ]:
        assert text in body, text
    assert "Đây là phiên bản cũ" not in body


def test_procedure_fees_are_formatted_in_dong(client: Client, catalogue: dict[str, Any]) -> None:
    body = html(client.get(reverse("web:procedure", args=["1.001456"])))
    assert "Lệ phí" in body
    assert "160.000 đồng" in body
    assert "Miễn phí" in body
    assert "Theo quy định" in body


def test_old_version_is_readable_with_a_notice(client: Client, catalogue: dict[str, Any]) -> None:
    body = html(client.get(reverse("web:procedure", args=["1.001456"]), {"phien-ban": "1"}))
    assert "Đây là phiên bản cũ, đã được thay thế" in body
    assert "Phiên bản cũ của thủ tục cấp hộ chiếu." in body
    assert f'href="{reverse("web:procedure", args=["1.001456"])}"' in body


def test_unknown_version_or_procedure_is_404(client: Client, catalogue: dict[str, Any]) -> None:
    assert client.get(reverse("web:procedure", args=["1.001456"]), {"phien-ban": "9"}).status_code == 404
    assert client.get(reverse("web:procedure", args=["1.999999"])).status_code == 404


def test_print_view_has_content_without_navigation(client: Client, catalogue: dict[str, Any]) -> None:
    body = html(client.get(reverse("web:procedure_print", args=["1.001456"])))
    assert "Thành phần hồ sơ" in body
    assert "160.000 đồng" in body
    assert 'class="site-nav"' not in body
    assert "print-page" in body


def test_english_shows_english_names_with_vietnamese_fallback(
    client: Client, catalogue: dict[str, Any]
) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = html(client.get(reverse("web:procedure", args=["1.001456"])))
    assert '<html lang="en">' in body
    assert "Issuance of an ordinary passport in Vietnam" in body
    assert "Required documents" in body
    assert "Receive" in body  # step title_en
    assert "Nộp hồ sơ" in body  # no English title: Vietnamese kept
    assert "160,000 VND" in body


def test_browser_language_does_not_switch_the_portal_from_vietnamese(
    client: Client, catalogue: dict[str, Any]
) -> None:
    body = html(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert 'lang="vi"' in body and "Thủ tục được sử dụng nhiều" in body


def test_chosen_english_translates_the_home_page(client: Client, catalogue: dict[str, Any]) -> None:
    client.cookies["django_language"] = "en"
    body = html(client.get("/"))
    assert "Most used procedures" in body
    assert "Birth registration" in body
    assert "Having a baby" in body


# --- FAQ -------------------------------------------------------------------------------------------------------


def test_faq_list_filters_by_field(client: Client, catalogue: dict[str, Any]) -> None:
    make_faq(code="HD-HT-001", question="Khai sinh cho con ở đâu?", field="Hộ tịch", procedures=["1.001193"])
    everything = html(client.get(reverse("web:faqs")))
    assert "Làm lại hộ chiếu mất bao lâu?" in everything
    assert "Khai sinh cho con ở đâu?" in everything
    assert 'name="kind" value="faq"' in everything
    civil = html(client.get(reverse("web:faqs"), {"field": "ho-tich"}))
    assert "Khai sinh cho con ở đâu?" in civil
    assert "Làm lại hộ chiếu mất bao lâu?" not in civil
    assert client.get(reverse("web:faqs"), {"field": "bogus", "page": "x"}).status_code == 200


def test_faq_detail_shows_answer_and_linked_procedures(client: Client, catalogue: dict[str, Any]) -> None:
    body = html(client.get(reverse("web:faq", args=["HD-XNC-001"])))
    assert "Làm lại hộ chiếu mất bao lâu?" in body
    assert "trả hộ chiếu trong 8 ngày làm việc" in body
    assert reverse("web:procedure", args=["1.001456"]) in body
    assert reverse("web:agency", args=["XNC"]) in body
    assert client.get(reverse("web:faq", args=["NOPE"])).status_code == 404


# --- agencies --------------------------------------------------------------------------------------------------


def test_agency_list_shows_central_agencies_and_34_provinces(client: Client, db: None) -> None:
    body = html(client.get(reverse("web:agencies")))
    assert "Bộ Tư pháp" in body
    assert "34 tỉnh, thành phố" in body
    assert reverse("web:agency", args=["UBND-01"]) in body


def test_agency_page_shows_contact_hours_and_procedures(client: Client, catalogue: dict[str, Any]) -> None:
    body = html(client.get(reverse("web:agency", args=["BTP"])))
    assert "Bộ Tư pháp" in body
    assert "Giờ làm việc" in body
    assert "07:00–11:30" in body
    assert "15:00" in body
    assert reverse("web:procedure", args=["1.001193"]) in body
    assert reverse("web:procedure", args=["1.001456"]) not in body


def test_province_committee_lists_communes_paginated(client: Client, db: None) -> None:
    body = html(client.get(reverse("web:agency", args=["UBND-01"])))
    assert "Cơ quan, đơn vị trực thuộc" in body
    assert body.count('href="/co-quan/UBND-') <= 55
    assert "children_page=2" in body


def test_unknown_agency_is_404(client: Client, db: None) -> None:
    assert client.get(reverse("web:agency", args=["KHONG-CO"])).status_code == 404


# --- errors ----------------------------------------------------------------------------------------------------


def test_404_page_is_in_vietnamese_with_search_and_home_link(client: Client, db: None) -> None:
    response = client.get("/khong-co-trang-nay/")
    body = html(response)
    assert response.status_code == 404
    assert "Không tìm thấy trang" in body
    assert 'name="q"' in body
    assert 'href="/"' in body


def test_500_page_renders_without_the_database(rf: Any, django_assert_num_queries: Any) -> None:
    from dichvucong.web.views import server_error

    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Đã có lỗi xảy ra" in response.content.decode()


def test_language_link_sets_the_cookie_and_returns_to_the_page(client: Client, db: None) -> None:
    response = client.get(reverse("web:language", args=["en"]), {"next": "/hoi-dap/"})
    assert response.status_code == 302 and response["Location"] == "/hoi-dap/"
    assert response.cookies["django_language"].value == "en"
    assert 'lang="en"' in html(client.get("/"))


def test_language_link_refuses_to_redirect_elsewhere(client: Client, db: None) -> None:
    response = client.get(reverse("web:language", args=["en"]), {"next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_procedure_page_is_served_from_cache_without_queries(
    client: Client, db: None, django_assert_num_queries: Any
) -> None:
    make_procedure()
    first = html(client.get("/thu-tuc/1.001456/"))
    with django_assert_num_queries(0):
        assert html(client.get("/thu-tuc/1.001456/")) == first
