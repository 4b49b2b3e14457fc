"""The catalogue back office: lists, read-only published versions, revise-and-publish actions, import with
every error shown, export."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dichvucong.catalogue.models import Faq, ImportRun, LifeEvent, Procedure
from dichvucong.core.models import AuditEvent
from tests.conftest import make_faq, make_officer, make_procedure, procedure_data, verified_staff_client

pytestmark = pytest.mark.django_db

IMPORT_URL = "/quan-tri/catalogue/importrun/import/"


def _upload(name: str, data: dict[str, Any]) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(data, ensure_ascii=False).encode(), "application/json")


@pytest.mark.parametrize("model", ["procedure", "faq", "field", "lifeevent", "importrun"])
def test_catalogue_changelists_render(admin_client: Client, model: str) -> None:
    make_faq()
    make_procedure()
    LifeEvent.objects.create(slug="co-con-nho", name="Có con nhỏ", procedure_codes=["1.001456"])
    response = admin_client.get(reverse(f"admin:catalogue_{model}_changelist"))
    assert response.status_code == 200


def test_procedure_changelist_queries_do_not_grow_with_rows(
    admin_client: Client, django_assert_max_num_queries: Any
) -> None:
    for n in range(5):
        make_procedure(code=f"1.00000{n}")
    with django_assert_max_num_queries(12):
        admin_client.get(reverse("admin:catalogue_procedure_changelist"))


def test_published_procedure_change_page_has_no_editable_inputs(admin_client: Client) -> None:
    procedure = make_procedure()
    response = admin_client.get(reverse("admin:catalogue_procedure_change", args=[procedure.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="name"' not in body
    assert 'name="steps"' not in body
    assert "Cấp hộ chiếu phổ thông ở trong nước" in body


def test_published_procedure_cannot_be_changed_by_post(admin_client: Client) -> None:
    procedure = make_procedure()
    response = admin_client.post(
        reverse("admin:catalogue_procedure_change", args=[procedure.pk]), {"name": "Tên khác"}
    )
    assert response.status_code == 403
    procedure.refresh_from_db()
    assert procedure.name == "Cấp hộ chiếu phổ thông ở trong nước"


def test_published_procedure_cannot_be_deleted(admin_client: Client) -> None:
    procedure = make_procedure()
    response = admin_client.post(
        reverse("admin:catalogue_procedure_changelist"),
        {"action": "delete_selected", "_selected_action": [procedure.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert Procedure.objects.filter(pk=procedure.pk).exists()


def test_new_version_action_then_publish_action_supersedes_the_old_version(
    admin_client: Client, settings: Any
) -> None:
    settings.CATALOGUE_REVIEW_FOUR_EYES = False  # one superuser sends for review and publishes
    v1 = make_procedure()
    changelist = reverse("admin:catalogue_procedure_changelist")

    response = admin_client.post(
        changelist, {"action": "start_revision_action", "_selected_action": [v1.pk]}, follow=True
    )
    draft = Procedure.objects.get(code=v1.code, version=2)
    assert draft.status == "draft"
    assert reverse("admin:catalogue_procedure_change", args=[draft.pk]) in response.content.decode()

    edit = admin_client.get(reverse("admin:catalogue_procedure_change", args=[draft.pk]))
    assert 'name="name"' in edit.content.decode()

    admin_client.post(changelist, {"action": "submit_for_review_action", "_selected_action": [draft.pk]})
    admin_client.post(changelist, {"action": "publish_action", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    v1.refresh_from_db()
    assert (draft.status, v1.status) == ("published", "superseded")


def test_the_new_version_action_is_audited_once_by_the_service(admin_client: Client, admin_user: Any) -> None:
    v1 = make_procedure()
    for _ in range(2):  # the second time, the open draft is handed back: no new version, no new event
        admin_client.post(
            reverse("admin:catalogue_procedure_changelist"),
            {"action": "start_revision_action", "_selected_action": [v1.pk]},
        )
    draft = Procedure.objects.get(code=v1.code, version=2)
    events = list(
        AuditEvent.objects.filter(action="catalogue.revision_started").values_list("actor_id", "object_id")
    )
    assert events == [(admin_user.pk, str(draft.pk))]


def test_publishing_a_superseded_version_shows_the_domain_error(admin_client: Client) -> None:
    v1 = make_procedure()
    make_procedure(name="Cấp hộ chiếu phổ thông (sửa đổi)")
    response = admin_client.post(
        reverse("admin:catalogue_procedure_changelist"),
        {"action": "publish_action", "_selected_action": [v1.pk]},
        follow=True,
    )
    assert "Không thể công bố lại một phiên bản đã được thay thế" in response.content.decode()


def _draft_form(draft: Procedure, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: json.dumps(getattr(draft, name), ensure_ascii=False)
        for name in ("levels", "audiences", "steps", "methods", "documents", "results", "legal_basis")
    }
    data |= {
        "related_procedures": "[]",
        "name": draft.name,
        "name_en": draft.name_en,
        "summary": draft.summary,
        "summary_en": draft.summary_en,
        "decision": draft.decision,
        "fields": [f.pk for f in draft.fields.all()],
        "online_level": draft.online_level,
        "province": "",
        "source": draft.source,
        "managing_agency": draft.managing_agency_id,
        "competent_agency": draft.competent_agency,
        "implementing_agency": "",
        "authorised_agency": "",
        "coordinating_agencies": "",
        "receiving_address": "",
        "conditions": "",
    }
    data |= changes
    return data


def test_draft_edited_in_admin_keeps_its_fields_and_is_hashed_anew_when_published(
    admin_client: Client, settings: Any
) -> None:
    settings.CATALOGUE_REVIEW_FOUR_EYES = False
    v1 = make_procedure()
    admin_client.post(
        reverse("admin:catalogue_procedure_changelist"),
        {"action": "start_revision_action", "_selected_action": [v1.pk]},
    )
    draft = Procedure.objects.get(code=v1.code, version=2)
    response = admin_client.post(
        reverse("admin:catalogue_procedure_change", args=[draft.pk]),
        _draft_form(draft, name="Cấp hộ chiếu phổ thông (sửa đổi)"),
    )
    assert response.status_code == 302, response.content.decode()
    draft.refresh_from_db()
    assert draft.name == "Cấp hộ chiếu phổ thông (sửa đổi)"
    assert [f.name for f in draft.fields.all()] == ["Quản lý xuất nhập cảnh"]
    for action in ("submit_for_review_action", "publish_action"):
        admin_client.post(
            reverse("admin:catalogue_procedure_changelist"),
            {"action": action, "_selected_action": [draft.pk]},
        )
    draft.refresh_from_db()
    assert draft.status == "published" and draft.content_hash != v1.content_hash
    # Re-importing the old content is a change again, not "unchanged".
    assert make_procedure().version == 3


def test_draft_with_an_invalid_fee_shows_the_record_error_in_vietnamese(admin_client: Client) -> None:
    v1 = make_procedure()
    admin_client.post(
        reverse("admin:catalogue_procedure_changelist"),
        {"action": "start_revision_action", "_selected_action": [v1.pk]},
    )
    draft = Procedure.objects.get(code=v1.code, version=2)
    methods = [{"channel": "online", "fees": [{"amount": "hai trăm nghìn"}]}]
    response = admin_client.post(
        reverse("admin:catalogue_procedure_change", args=[draft.pk]),
        _draft_form(draft, methods=json.dumps(methods, ensure_ascii=False)),
    )
    assert response.status_code == 200
    assert "[1].fees[1].amount: Phải là số nguyên" in response.content.decode()


def test_faq_change_page_shows_linked_codes_and_saving_goes_through_the_service(admin_client: Client) -> None:
    faq = make_faq()
    url = reverse("admin:catalogue_faq_change", args=[faq.pk])
    assert "1.001456" in admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {
            "question": faq.question,
            "answer": "Trong 8 ngày làm việc kể từ ngày nhận đủ hồ sơ.",
            "question_en": "",
            "answer_en": "",
            "procedure_codes": "1.001456, 1.000001",
            "field": faq.field_id,
            "agency": faq.agency_id,
            "source": faq.source,
        },
    )
    assert response.status_code == 302
    faq.refresh_from_db()
    assert faq.answer.startswith("Trong 8 ngày")
    assert sorted(faq.procedure_links.values_list("procedure_code", flat=True)) == ["1.000001", "1.001456"]


def test_import_page_imports_a_good_json_file_and_shows_counts(admin_client: Client) -> None:
    faq = {"code": "HD-1", "question": "Làm hộ chiếu ở đâu?", "answer": "Tại cơ quan xuất nhập cảnh."}
    faq |= {"procedures": ["1.001456"], "source": "test"}
    response = admin_client.post(
        IMPORT_URL, {"file": _upload("good.json", {"procedures": [procedure_data()], "faqs": [faq]})}
    )
    assert response.status_code == 200
    assert response.context["report"].procedures_created == 1
    assert response.context["report"].faqs_created == 1
    assert "Phiên bản thủ tục mới" in response.content.decode()
    assert Procedure.objects.get(code="1.001456").status == "published"
    run = ImportRun.objects.get()
    assert run.accepted and run.actor == "admin"


def test_import_page_lists_every_error_and_imports_nothing(admin_client: Client) -> None:
    bad_fee = procedure_data(code="1.000003")
    bad_fee["methods"][0]["fees"][0]["amount"] = "hai trăm nghìn"
    content = {"procedures": [procedure_data(code="1001456"), bad_fee]}
    before = Procedure.objects.count()

    response = admin_client.post(IMPORT_URL, {"file": _upload("bad.json", content)})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Không có dữ liệu nào được nhập" in body
    for header in ("Dòng", "Cột", "Lỗi"):
        assert f'<th scope="col">{header}</th>' in body
    assert "Mã thủ tục phải có dạng" in body
    assert "methods[1].fees[1].amount" in body
    assert "Phải là số nguyên" in body
    assert len(response.context["failure"].errors) >= 2
    assert Procedure.objects.count() == before
    run = ImportRun.objects.get()
    assert not run.accepted and run.errors


def test_import_run_detail_shows_the_errors_as_a_table(admin_client: Client) -> None:
    admin_client.post(IMPORT_URL, {"file": _upload("bad.json", {"procedures": [procedure_data(code="x")]})})
    run = ImportRun.objects.get()
    body = admin_client.get(reverse("admin:catalogue_importrun_change", args=[run.pk])).content.decode()
    assert '<th scope="col">Cột</th>' in body and "<code>code</code>" in body


def test_import_page_refuses_other_file_types(admin_client: Client) -> None:
    upload = SimpleUploadedFile("catalogue.xlsx", b"PK", "application/octet-stream")
    response = admin_client.post(IMPORT_URL, {"file": upload})
    assert "Chỉ nhận tệp .json hoặc .csv." in response.content.decode()
    assert not ImportRun.objects.exists()


def test_import_run_changelist_links_to_the_import_page(admin_client: Client) -> None:
    response = admin_client.get(reverse("admin:catalogue_importrun_changelist"))
    assert IMPORT_URL in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "file_format", "content_type"),
    [
        ("procedures", "json", "application/json"),
        ("procedures", "csv", "text/csv"),
        ("faqs", "json", "application/json"),
        ("faqs", "csv", "text/csv"),
    ],
)
def test_export_downloads_the_published_catalogue(
    admin_client: Client, kind: str, file_format: str, content_type: str
) -> None:
    make_procedure()
    make_faq()
    response = admin_client.get(reverse("admin:catalogue_export", args=[kind, file_format]))
    assert response.status_code == 200
    assert response["Content-Type"] == f"{content_type}; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{kind}.{file_format}"'
    text = response.content.decode("utf-8-sig")
    assert ("1.001456" if kind == "procedures" else "HD-XNC-001") in text


def test_exported_json_imports_back_unchanged(admin_client: Client) -> None:
    make_procedure()
    exported = admin_client.get(reverse("admin:catalogue_export", args=["procedures", "json"])).content
    upload = SimpleUploadedFile("procedures.json", exported, "application/json")
    response = admin_client.post(IMPORT_URL, {"file": upload})
    assert response.context["report"].procedures_unchanged == 1


def test_non_staff_user_is_sent_to_login_from_the_import_page(client: Client) -> None:
    user = get_user_model().objects.create_user("dan", password="mat-khau-dai-du-10")
    client.force_login(user)
    response = client.get(IMPORT_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_an_officer_cannot_import(client: Client) -> None:
    """Imports span every agency: operators only, even for an officer who edits the catalogue."""
    officer = make_officer("UBND-01", roles=("catalogue_editor",))
    verified_staff_client(client, officer)
    assert client.get(IMPORT_URL).status_code == 403
    assert not Faq.objects.exists()
