"""Drafts: started from a procedure and prefilled, saved step by step without losing accepted input, documents
attached from uploads or the store, submitted once to the competent agency."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from dichvucong.core.errors import DomainError, NotFound
from dichvucong.core.models import OutboxMessage
from dichvucong.dossiers import attachments, drafts
from dichvucong.dossiers.models import Dossier, DossierEvent, Draft, Notification
from tests.conftest import make_citizen, make_procedure
from tests.dossiers.factories import (
    BA_DINH,
    BIRTH,
    HA_NOI,
    MONDAY_9AM,
    NGOC_HA,
    birth_procedure_with_eform,
    birth_steps,
    citizen_with_address,
    filled_draft,
    image_bytes,
    make_demo_procedure,
    pdf_bytes,
    upload,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OUTBOX_DISPATCH = "none"
    birth_procedure_with_eform()


def test_a_draft_starts_prefilled_and_is_resumed_until_it_is_submitted() -> None:
    user = citizen_with_address()
    draft = drafts.start_draft(owner=user, procedure_code=BIRTH)
    assert (
        draft.data["applicant_name"] == "Nguyễn Văn An"
        and draft.data["registration_place"]["commune"] == BA_DINH
    )
    assert drafts.start_draft(owner=user, procedure_code=BIRTH) == draft
    other = make_citizen(username="0987654321", phone="0987654321")
    assert drafts.start_draft(owner=other, procedure_code=BIRTH) != draft
    drafts.submit(draft=filled_draft(user), now=MONDAY_9AM)
    assert drafts.start_draft(owner=user, procedure_code=BIRTH).pk not in (draft.pk, None)


def test_a_procedure_not_offered_online_has_no_draft() -> None:
    make_procedure(code="1.000001", online_level="none", methods=[{"channel": "in_person", "time_limit": 5}])
    with pytest.raises(DomainError) as caught:
        drafts.start_draft(owner=make_citizen(), procedure_code="1.000001")
    assert "chưa được cung cấp trực tuyến" in caught.value.message
    with pytest.raises(NotFound):
        drafts.start_draft(owner=make_citizen(username="x", phone="0987654321"), procedure_code="9.999999")


def test_saving_a_step_keeps_valid_values_and_the_earlier_value_of_a_field_typed_wrong() -> None:
    draft = drafts.start_draft(owner=citizen_with_address(), procedure_code=BIRTH)
    typed = birth_steps()[0] | {"applicant_phone": "091", "relation": ""}
    errors = drafts.save_step(draft=draft, step=0, raw=typed, today=TODAY)
    assert set(errors) == {"applicant_phone", "relation"}
    draft.refresh_from_db()
    assert draft.data["applicant_phone"] == "0912345678"  # from the profile, not lost
    assert draft.data["applicant_email"] == "an.nguyen@example.vn"
    assert draft.step == 0  # not past a step with errors
    assert drafts.save_step(draft=draft, step=0, raw=birth_steps()[0], today=TODAY) == {}
    draft.refresh_from_db()
    assert draft.data["relation"] == "cha" and draft.step == 1


def test_saving_half_way_does_not_require_the_required_fields() -> None:
    draft = drafts.start_draft(owner=citizen_with_address(), procedure_code=BIRTH)
    raw = {
        "child_name": "Nguyễn Minh Khang",
        "child_date_of_birth": "99/99/2026",
        "child_birth_place": {"province": HA_NOI},
    }
    errors = drafts.save_step(draft=draft, step=1, raw=raw, partial=True, today=TODAY)
    assert list(errors) == ["child_date_of_birth"]
    draft.refresh_from_db()
    assert draft.data["child_name"] == "Nguyễn Minh Khang"
    assert draft.data["child_birth_place"] == {"province": HA_NOI, "province_name": "Thành phố Hà Nội"}
    assert draft.step == 0


def test_a_step_that_does_not_exist_is_not_found() -> None:
    draft = drafts.start_draft(owner=citizen_with_address(), procedure_code=BIRTH)
    with pytest.raises(NotFound):
        drafts.save_step(draft=draft, step=5, raw={})


def test_documents_are_attached_by_upload_or_from_the_store_and_removed() -> None:
    user = citizen_with_address()
    draft = drafts.start_draft(owner=user, procedure_code=BIRTH)
    pdf = drafts.attach_upload(draft=draft, slot="doc-2", uploaded_file=upload("chung-sinh.pdf", pdf_bytes()))
    stored = attachments.store_upload(owner=user, uploaded_file=upload("cccd.jpg", image_bytes()))
    drafts.attach_stored(draft=draft, slot="doc-6", document_id=stored.pk)
    drafts.attach_stored(draft=draft, slot="doc-6", document_id=stored.pk)  # once only
    draft.refresh_from_db()
    assert draft.documents == {"doc-2": [pdf.pk], "doc-6": [stored.pk]}
    assert drafts.attached_documents(draft) == {"doc-2": [pdf], "doc-6": [stored]}
    drafts.detach(draft=draft, slot="doc-6", document_id=stored.pk)
    draft.refresh_from_db()
    assert draft.documents == {"doc-2": [pdf.pk]}


def test_a_bad_upload_is_refused_and_what_was_attached_stays() -> None:
    draft = drafts.start_draft(owner=citizen_with_address(), procedure_code=BIRTH)
    pdf = drafts.attach_upload(draft=draft, slot="doc-2", uploaded_file=upload("a.pdf", pdf_bytes()))
    with pytest.raises(attachments.UploadRefused):
        drafts.attach_upload(draft=draft, slot="doc-2", uploaded_file=upload("b.pdf", b"<html></html>"))
    draft.refresh_from_db()
    assert draft.documents == {"doc-2": [pdf.pk]}


def test_documents_go_only_to_slots_of_the_procedure_and_only_the_owners() -> None:
    user = citizen_with_address()
    draft = drafts.start_draft(owner=user, procedure_code=BIRTH)
    with pytest.raises(NotFound):
        drafts.attach_upload(draft=draft, slot="doc-1", uploaded_file=upload("a.pdf", pdf_bytes()))  # skipped
    other = make_citizen(username="0987654321", phone="0987654321")
    theirs = attachments.store_upload(owner=other, uploaded_file=upload("a.pdf", pdf_bytes()))
    with pytest.raises(NotFound):
        drafts.attach_stored(draft=draft, slot="doc-2", document_id=theirs.pk)


def test_the_dossier_total_counts_documents_from_the_store_too(settings: Any) -> None:
    user = citizen_with_address()
    draft = drafts.start_draft(owner=user, procedure_code=BIRTH)
    content = pdf_bytes()
    settings.DOSSIER_MAX_DOSSIER_BYTES = len(content) + 10
    drafts.attach_upload(draft=draft, slot="doc-2", uploaded_file=upload("a.pdf", content))
    stored = attachments.store_upload(owner=user, uploaded_file=upload("b.pdf", content))
    with pytest.raises(attachments.UploadRefused):
        drafts.attach_stored(draft=draft, slot="doc-6", document_id=stored.pk)


def test_an_incomplete_draft_says_what_is_missing() -> None:
    draft = filled_draft(citizen_with_address(), with_files=False)
    drafts.save_step(draft=draft, step=2, raw={"mother_name": ""}, partial=True, today=TODAY)
    with pytest.raises(drafts.DraftIncomplete) as caught:
        drafts.submit(draft=draft, now=MONDAY_9AM)
    found = {error.column: error.message for error in caught.value.errors}
    assert found == {
        "mother_name": "Vui lòng nhập họ, chữ đệm, tên của mẹ.",
        "doc-2": "Vui lòng đính kèm: " + make_demo_procedure(BIRTH).documents[1]["name"],
    }
    assert not Dossier.objects.exists()


def test_submitting_makes_one_dossier_for_the_commune_chosen_however_often_it_is_sent() -> None:
    user = citizen_with_address()
    draft = filled_draft(user)
    dossier = drafts.submit(draft=draft, now=MONDAY_9AM)
    again = drafts.submit(draft=Draft.objects.get(pk=draft.pk), now=MONDAY_9AM + dt.timedelta(seconds=3))
    assert again == dossier
    assert Dossier.objects.count() == 1 and DossierEvent.objects.count() == 1
    assert OutboxMessage.objects.filter(topic="dossiers.deliver").count() == 1
    assert Notification.objects.filter(user=user).count() == 1
    assert dossier.agency.code == f"UBND-{BA_DINH}"
    assert dossier.code == f"UBND-{BA_DINH}-261102-0001"
    assert dossier.summary == "Đăng ký khai sinh cho Nguyễn Minh Khang"
    assert (dossier.applicant_name, dossier.applicant_id_number, dossier.applicant_phone) == (
        "Nguyễn Văn An",
        "001093054321",
        "0912345678",
    )
    assert dossier.details["address"] == "12 phố Đội Cấn, Phường Ba Đình, Thành phố Hà Nội"
    assert dossier.details["form"]["child_birth_place"]["commune"] == NGOC_HA
    assert [(d.slot, d.kind) for d in dossier.documents.all()] == [("doc-2", "submitted")]
    draft.refresh_from_db()
    assert draft.dossier == dossier and draft.agency == dossier.agency
    with pytest.raises(DomainError):
        drafts.save_step(draft=draft, step=0, raw=birth_steps()[0])


def test_several_files_for_one_document_are_numbered() -> None:
    user = citizen_with_address()
    draft = filled_draft(user)
    drafts.attach_upload(draft=draft, slot="doc-2", uploaded_file=upload("trang-2.jpg", image_bytes()))
    dossier = drafts.submit(draft=draft, now=MONDAY_9AM)
    names = [d.name for d in dossier.documents.order_by("id")]
    assert names[0].endswith("(1/2)") and names[1].endswith("(2/2)")


def test_a_procedure_without_eform_goes_to_the_branch_its_competent_agency_names() -> None:
    passport = make_procedure()  # province level, "… Công an cấp tỉnh", no e-form
    user = citizen_with_address()
    draft = drafts.start_draft(owner=user, procedure_code=passport.code)
    assert drafts.save_step(draft=draft, step=0, raw={}, partial=True) == {}
    errors = drafts.save_step(draft=draft, step=0, raw=_profile_step(), today=TODAY)
    assert errors == {}
    assert drafts.save_step(draft=draft, step=1, raw={"request": "Cấp hộ chiếu lần đầu"}, today=TODAY) == {}
    drafts.attach_upload(draft=draft, slot="doc-1", uploaded_file=upload("to-khai.pdf", pdf_bytes()))
    dossier = drafts.submit(draft=draft, now=MONDAY_9AM)
    assert dossier.agency.code == f"CA-{HA_NOI}"
    assert dossier.summary == "Cấp hộ chiếu phổ thông ở trong nước: Nguyễn Văn An"


def test_the_competent_agency_falls_back_to_the_province_then_the_managing_agency() -> None:
    procedure = make_demo_procedure(BIRTH)
    definition = {"agency": {"field": "place", "level": "commune", "prefix": "CA"}}
    place = {"province": HA_NOI, "commune": BA_DINH}
    assert drafts.competent_agency(procedure, definition, {"place": place}).code == f"CA-{HA_NOI}"
    assert drafts.competent_agency(procedure, {}, {"applicant_address": place}).code == f"UBND-{BA_DINH}"
    assert drafts.competent_agency(procedure, {}, {}).code == "BTP"


def _profile_step() -> dict[str, Any]:
    return {
        "applicant_name": "Nguyễn Văn An",
        "applicant_id_number": "001093054321",
        "applicant_date_of_birth": "17/05/1993",
        "applicant_phone": "0912345678",
        "applicant_email": "",
        "applicant_address": {"province": HA_NOI, "commune": BA_DINH, "street": ""},
    }
