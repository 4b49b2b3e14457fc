"""The review step of procedure versions: draft → review → published, returned with a reason, four eyes, every
step audited, the back-office pages scoped to the officer's agency, and the operators' import unaffected."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dichvucong.catalogue import review, services
from dichvucong.catalogue.models import Procedure, SearchEntry
from dichvucong.catalogue.selectors import awaiting_review, counts_in_scope, procedure_get
from dichvucong.core.errors import Forbidden
from dichvucong.core.models import AuditEvent
from dichvucong.core.scope import AgencyScope
from tests.conftest import make_officer, make_operator, make_procedure, procedure_data, verified_staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor() -> Any:
    return make_officer("XNC", username="capnhat-xnc", roles=("catalogue_editor",))


@pytest.fixture
def head() -> Any:
    return make_officer("XNC", username="lanhdao-xnc", roles=("head",))


@pytest.fixture
def draft(db: None) -> Procedure:
    """Version 2 of a published procedure, as a draft. Made by the factory (an imported draft record) rather than
    `services.start_revision`, which writes its own audit event (tested below): the audit tests here count the
    review steps' events only."""
    make_procedure()
    return make_procedure(status="draft")


def _reload(procedure: Procedure) -> Procedure:
    return Procedure.objects.get(pk=procedure.pk)


# --- the state machine ----------------------------------------------------------------------------------------


def test_a_draft_goes_through_review_to_publication(draft: Procedure, editor: Any, head: Any) -> None:
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    in_review = _reload(draft)
    assert (in_review.status, in_review.submitted_by_id) == ("review", editor.pk)
    assert in_review.submitted_at is not None
    assert not SearchEntry.objects.filter(kind="procedure", object_id=draft.pk).exists()
    assert procedure_get("1.001456").version == 1

    services.publish(procedure_id=draft.pk, actor=head)
    assert _reload(draft).status == "published"
    assert procedure_get("1.001456").version == 2
    assert Procedure.objects.get(code="1.001456", version=1).status == "superseded"
    assert SearchEntry.objects.get(kind="procedure", object_id=draft.pk).status == "published"


def test_a_draft_cannot_be_published_without_review(draft: Procedure, head: Any) -> None:
    with pytest.raises(review.TransitionNotAllowed, match="Bản nháp"):
        services.publish(procedure_id=draft.pk, actor=head)
    assert _reload(draft).status == "draft"


def test_a_version_in_review_cannot_be_sent_again_or_edited_in_place(draft: Procedure, editor: Any) -> None:
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    with pytest.raises(review.TransitionNotAllowed):
        services.submit_for_review(procedure_id=draft.pk, actor=editor)
    # Revising the procedure again gives the version in review, not a second open version.
    assert services.start_revision(code="1.001456").pk == draft.pk
    assert Procedure.objects.filter(code="1.001456").count() == 2


def test_the_table_allows_only_the_documented_transitions() -> None:
    allowed = {(a, b) for a, targets in review.TRANSITIONS.items() for b in targets}
    assert allowed == {
        ("draft", "review"),
        ("review", "draft"),
        ("review", "published"),
        ("published", "superseded"),
    }


def _version(status: str) -> Procedure:
    return Procedure(code="1.001456", version=2, status=status)


AT = dt.datetime(2026, 12, 21, 3, 0, tzinfo=dt.UTC)


def test_a_move_the_table_forbids_raises_and_changes_nothing() -> None:
    draft = _version("draft")
    with pytest.raises(review.TransitionNotAllowed, match=r"Bản nháp.*Đang áp dụng"):
        review.move(draft, "published", at=AT)
    assert (draft.status, draft.published_at) == ("draft", None)


def test_a_superseded_version_is_refused_with_what_to_do_instead() -> None:
    with pytest.raises(review.TransitionNotAllowed, match="hãy tạo phiên bản mới"):
        review.move(_version("superseded"), "published", at=AT)


def test_move_sets_the_fields_that_go_with_each_state_and_names_them(editor: Any) -> None:
    version = _version("draft")
    assert review.move(version, "review", at=AT, by=editor) == [
        "status",
        "submitted_by",
        "submitted_at",
        "review_note",
    ]
    assert (version.status, version.submitted_by, version.submitted_at) == ("review", editor, AT)

    assert review.move(version, "draft", at=AT, note="Sai mẫu đơn.") == [
        "status",
        "submitted_by",
        "submitted_at",
        "review_note",
    ]
    assert (version.submitted_by, version.submitted_at, version.review_note) == (None, None, "Sai mẫu đơn.")

    review.move(version, "review", at=AT, by=editor)
    assert version.review_note == ""
    assert review.move(version, "published", at=AT) == ["status", "published_at"]
    assert version.published_at == AT
    assert review.move(version, "superseded", at=AT) == ["status", "superseded_at"]
    assert version.superseded_at == AT


def test_only_the_import_may_publish_a_draft_and_by_its_named_rule() -> None:
    import_only = {(a, b) for a, targets in review.IMPORT_TRANSITIONS.items() for b in targets}
    assert import_only == {("draft", "published")}
    assert not review.can_move("draft", "published")
    assert review.can_move("draft", "published", imported=True)
    assert not review.can_move("superseded", "published", imported=True)
    draft = _version("draft")
    assert review.move(draft, "published", at=AT, imported=True) == ["status", "published_at"]
    assert draft.status == "published"


def test_every_change_of_state_goes_through_move(
    monkeypatch: pytest.MonkeyPatch, editor: Any, head: Any
) -> None:
    moves: list[tuple[int, str, str]] = []
    real_move = review.move

    def spy(procedure: Procedure, target: str, **kwargs: Any) -> list[str]:
        moves.append((procedure.version, procedure.status, target))
        return real_move(procedure, target, **kwargs)

    monkeypatch.setattr(review, "move", spy)
    make_procedure()
    draft = services.start_revision(code="1.001456", actor=editor)
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    services.return_to_draft(procedure_id=draft.pk, actor=head, reason="Thiếu phí trực tuyến.")
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    make_procedure(status="draft", summary="Bản dự thảo từ tệp nhập.")
    make_procedure(summary="Nội dung theo quyết định công bố mới.")
    assert moves == [
        (1, "draft", "published"),  # the import, by its rule
        (2, "draft", "review"),
        (2, "review", "draft"),
        (2, "draft", "review"),
        (2, "review", "draft"),  # new content for a version in review
        (2, "draft", "published"),  # the import again
        (1, "published", "superseded"),
    ]
    statuses = dict(Procedure.objects.values_list("version", "status"))
    assert statuses == {1: "superseded", 2: "published"}


# --- four eyes and roles --------------------------------------------------------------------------------------


def test_the_officer_who_sent_a_version_cannot_publish_it(draft: Procedure, head: Any) -> None:
    services.submit_for_review(procedure_id=draft.pk, actor=head)
    with pytest.raises(Forbidden, match="Người gửi duyệt không được tự công bố"):
        services.publish(procedure_id=draft.pk, actor=head)
    assert _reload(draft).status == "review"
    other_head = make_officer("XNC", username="lanhdao-2", roles=("head",))
    services.publish(procedure_id=draft.pk, actor=other_head)
    assert _reload(draft).status == "published"


def test_four_eyes_can_be_turned_off(draft: Procedure, head: Any, settings: Any) -> None:
    settings.CATALOGUE_REVIEW_FOUR_EYES = False
    services.submit_for_review(procedure_id=draft.pk, actor=head)
    services.publish(procedure_id=draft.pk, actor=head)
    assert _reload(draft).status == "published"


def test_a_catalogue_editor_may_not_publish_or_return(draft: Procedure, editor: Any) -> None:
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    colleague = make_officer("XNC", username="capnhat-2", roles=("catalogue_editor",))
    with pytest.raises(Forbidden):
        services.publish(procedure_id=draft.pk, actor=colleague)
    with pytest.raises(Forbidden):
        services.return_to_draft(procedure_id=draft.pk, actor=colleague, reason="Sai căn cứ pháp lý.")
    assert _reload(draft).status == "review"


def test_heads_and_operators_hold_the_publish_permission(head: Any, editor: Any) -> None:
    assert head.has_perm(review.PUBLISH_PERMISSION)
    assert make_operator().has_perm(review.PUBLISH_PERMISSION)
    assert not editor.has_perm(review.PUBLISH_PERMISSION)


# --- returning with a reason ----------------------------------------------------------------------------------


def test_returning_needs_a_reason_and_keeps_it_on_the_draft(draft: Procedure, editor: Any, head: Any) -> None:
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    with pytest.raises(services.DomainError, match="lý do"):
        services.return_to_draft(procedure_id=draft.pk, actor=head, reason="  ")
    assert _reload(draft).status == "review"

    services.return_to_draft(procedure_id=draft.pk, actor=head, reason="Thiếu phí trực tuyến mới.")
    returned = _reload(draft)
    assert (returned.status, returned.review_note) == ("draft", "Thiếu phí trực tuyến mới.")
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    assert _reload(draft).review_note == ""


# --- audit ----------------------------------------------------------------------------------------------------


def test_every_step_is_audited_with_actor_agency_and_reason(draft: Procedure, editor: Any, head: Any) -> None:
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    services.return_to_draft(procedure_id=draft.pk, actor=head, reason="Cần sửa thời hạn giải quyết.")
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    services.publish(procedure_id=draft.pk, actor=head)
    events = list(
        AuditEvent.objects.filter(object_type="catalogue.procedure", object_id=str(draft.pk))
        .order_by("id")
        .values_list("action", "actor_label", "agency_id", "detail")
    )
    agency = draft.managing_agency_id
    assert events == [
        ("catalogue.submitted_for_review", "capnhat-xnc", agency, {}),
        ("catalogue.returned_to_draft", "lanhdao-xnc", agency, {"reason": "Cần sửa thời hạn giải quyết."}),
        ("catalogue.submitted_for_review", "capnhat-xnc", agency, {}),
        ("catalogue.published", "lanhdao-xnc", agency, {"submitted_by": editor.pk}),
    ]


def test_a_refused_step_writes_no_audit_event(draft: Procedure, head: Any) -> None:
    with pytest.raises(review.TransitionNotAllowed):
        services.publish(procedure_id=draft.pk, actor=head)
    assert not AuditEvent.objects.filter(action__startswith="catalogue.").exists()


# --- the operators' import is not a review --------------------------------------------------------------------


def _import(data: dict[str, Any]) -> services.ImportReport:
    content = json.dumps({"procedures": [data]}, ensure_ascii=False).encode()
    return services.import_catalogue(content=content, file_name="tthc.json", actor="quantri")


def test_import_still_publishes_directly(db: None) -> None:
    report = _import(procedure_data())
    assert report.procedures_created == 1
    published = procedure_get("1.001456")
    assert (published.status, published.submitted_by_id) == ("published", None)


def test_import_of_new_content_replaces_a_version_in_review_and_publishes_it(
    draft: Procedure, editor: Any
) -> None:
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    _import(procedure_data(summary="Nội dung theo quyết định công bố mới của Bộ."))
    assert Procedure.objects.filter(code="1.001456").count() == 2
    assert procedure_get("1.001456").pk == draft.pk
    assert _reload(draft).summary.startswith("Nội dung theo quyết định")


def test_import_of_a_draft_record_sends_a_version_in_review_back_to_draft(
    draft: Procedure, editor: Any
) -> None:
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    _import(procedure_data(status="draft", summary="Bản dự thảo sửa đổi."))
    assert _reload(draft).status == "draft"


def test_new_content_for_a_version_in_review_returns_it_to_draft_unsubmitted_and_audited(
    draft: Procedure, editor: Any
) -> None:
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    _import(procedure_data(status="draft", summary="Bản dự thảo sửa đổi."))
    returned = _reload(draft)
    assert (returned.status, returned.submitted_by_id, returned.submitted_at, returned.review_note) == (
        "draft",
        None,
        None,
        "",
    )
    event = AuditEvent.objects.get(action="catalogue.returned_to_draft")
    assert (event.object_id, event.agency_id, event.detail) == (
        str(draft.pk),
        draft.managing_agency_id,
        {"imported_by": "quantri"},
    )


def test_a_draft_returned_by_the_reviewer_is_no_longer_submitted(
    draft: Procedure, editor: Any, head: Any
) -> None:
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    services.return_to_draft(procedure_id=draft.pk, actor=head, reason="Sai mẫu đơn.")
    returned = _reload(draft)
    assert (returned.submitted_by_id, returned.submitted_at, returned.review_note) == (
        None,
        None,
        "Sai mẫu đơn.",
    )


# --- opening a new version ------------------------------------------------------------------------------------


def test_opening_a_new_version_is_audited_once_and_handing_back_the_open_one_is_not(
    db: None, editor: Any
) -> None:
    make_procedure()
    draft = services.start_revision(code="1.001456", actor=editor)
    assert services.start_revision(code="1.001456", actor=editor).pk == draft.pk
    events = list(
        AuditEvent.objects.filter(action__startswith="catalogue.").values_list(
            "action", "actor_label", "object_id", "agency_id"
        )
    )
    assert events == [("catalogue.revision_started", "capnhat-xnc", str(draft.pk), draft.managing_agency_id)]


def test_a_new_version_starts_as_an_unsubmitted_draft_with_the_published_content(db: None) -> None:
    published = make_procedure()
    draft = services.start_revision(code="1.001456")
    assert (draft.version, draft.status, draft.published_at, draft.submitted_at) == (2, "draft", None, None)
    assert (draft.summary, draft.steps, draft.content_hash) == (
        published.summary,
        published.steps,
        published.content_hash,
    )
    assert list(draft.fields.all()) == list(published.fields.all())


# --- the back office ------------------------------------------------------------------------------------------


def test_counts_and_queue_are_limited_to_the_scope(draft: Procedure, editor: Any) -> None:
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    make_procedure(code="2.900009", managing_agency="UBND-01")
    xnc = AgencyScope(agency_ids=frozenset({draft.managing_agency_id}))
    assert counts_in_scope(xnc) == {"draft": 0, "review": 1, "published": 1, "superseded": 0}
    assert [p.pk for p in awaiting_review(xnc)] == [draft.pk]
    assert counts_in_scope(AgencyScope.everything())["published"] == 2
    assert counts_in_scope(AgencyScope.nothing()) == {
        "draft": 0,
        "review": 0,
        "published": 0,
        "superseded": 0,
    }


def test_the_change_page_shows_the_steps_each_person_may_take(
    client: Client, draft: Procedure, editor: Any, head: Any
) -> None:
    change = reverse("admin:catalogue_procedure_change", args=[draft.pk])
    submit = reverse("admin:catalogue_procedure_submit", args=[draft.pk])
    publish = reverse("admin:catalogue_procedure_publish", args=[draft.pk])
    editor_page = verified_staff_client(client, editor).get(change).content.decode()
    assert submit in editor_page and publish not in editor_page

    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    head_page = verified_staff_client(Client(), head).get(change).content.decode()
    assert publish in head_page and reverse("admin:catalogue_procedure_return", args=[draft.pk]) in head_page
    assert 'name="name"' not in head_page  # a version in review is not edited in place


def test_the_pages_take_each_step_and_show_errors_in_vietnamese(
    client: Client, draft: Procedure, editor: Any, head: Any
) -> None:
    editor_client = verified_staff_client(client, editor)
    response = editor_client.post(reverse("admin:catalogue_procedure_submit", args=[draft.pk]))
    assert response.status_code == 302
    assert _reload(draft).status == "review"

    head_client = verified_staff_client(Client(), head)
    returned = head_client.post(reverse("admin:catalogue_procedure_return", args=[draft.pk]), {"reason": ""})
    assert returned.status_code == 200 and "Trường này là bắt buộc" in returned.content.decode()
    head_client.post(reverse("admin:catalogue_procedure_return", args=[draft.pk]), {"reason": "Sai mẫu đơn."})
    assert _reload(draft).status == "draft"
    draft_page = editor_client.get(reverse("admin:catalogue_procedure_change", args=[draft.pk]))
    assert "Sai mẫu đơn." in draft_page.content.decode()

    editor_client.post(reverse("admin:catalogue_procedure_submit", args=[draft.pk]))
    refused = editor_client.post(reverse("admin:catalogue_procedure_publish", args=[draft.pk]))
    assert refused.status_code == 403
    head_client.post(reverse("admin:catalogue_procedure_publish", args=[draft.pk]))
    assert _reload(draft).status == "published"


def test_the_submitter_sees_the_four_eyes_refusal_on_the_page(client: Client, draft: Procedure) -> None:
    both = make_officer("XNC", username="lanhdao-capnhat", roles=("head", "catalogue_editor"))
    head_client = verified_staff_client(client, both)
    head_client.post(reverse("admin:catalogue_procedure_submit", args=[draft.pk]))
    response = head_client.post(reverse("admin:catalogue_procedure_publish", args=[draft.pk]))
    assert response.status_code == 200
    assert "Người gửi duyệt không được tự công bố" in response.content.decode()
    assert _reload(draft).status == "review"


def test_another_agencys_officer_gets_404_on_every_step(client: Client, draft: Procedure) -> None:
    stranger = make_officer("UBND-79", username="lanhdao-79", roles=("head", "catalogue_editor"))
    stranger_client = verified_staff_client(client, stranger)
    for step in ("submit", "return", "publish"):
        url = reverse(f"admin:catalogue_procedure_{step}", args=[draft.pk])
        assert stranger_client.get(url).status_code == 404
        assert stranger_client.post(url, {"reason": "Không phải của tôi."}).status_code == 404
    assert _reload(draft).status == "draft"


def test_a_step_on_an_id_that_is_not_a_number_is_404(client: Client, draft: Procedure, head: Any) -> None:
    head_client = verified_staff_client(client, head)
    assert head_client.get(reverse("admin:catalogue_procedure_publish", args=["abc"])).status_code == 404


def test_the_list_filters_by_review_state(client: Client, draft: Procedure, editor: Any, head: Any) -> None:
    make_procedure(code="1.000777", name="Thủ tục khác chưa gửi duyệt")
    services.submit_for_review(procedure_id=draft.pk, actor=editor)
    listing = verified_staff_client(client, head).get(
        reverse("admin:catalogue_procedure_changelist"), {"status__exact": "review"}
    )
    body = listing.content.decode()
    assert listing.status_code == 200
    assert "Chờ duyệt" in body and "Thủ tục khác chưa gửi duyệt" not in body


def test_the_import_page_upload_publishes_without_review(client: Client) -> None:
    operator_client = verified_staff_client(client, make_operator())
    upload = SimpleUploadedFile(
        "tthc.json",
        json.dumps({"procedures": [procedure_data()]}, ensure_ascii=False).encode(),
        "application/json",
    )
    response = operator_client.post("/quan-tri/catalogue/importrun/import/", {"file": upload})
    assert response.status_code == 200
    assert procedure_get("1.001456").status == "published"
