"""Uploaded files: type by content, size per file and per dossier, the personal document store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dichvucong.core.errors import DomainError, NotFound
from dichvucong.dossiers import attachments, drafts
from dichvucong.dossiers.models import StoredDocument
from tests.conftest import make_citizen
from tests.dossiers.factories import (
    birth_procedure_with_eform,
    citizen_with_address,
    image_bytes,
    pdf_bytes,
    submitted_dossier,
    upload,
)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OUTBOX_DISPATCH = "none"


def test_a_pdf_is_accepted_by_its_content() -> None:
    content = pdf_bytes()
    assert attachments.check_upload(upload("giấy chứng sinh.pdf", content)) == ("application/pdf", content)


@pytest.mark.parametrize(
    ("kind", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("TIFF", "image/tiff")]
)
def test_photos_and_scans_are_accepted_whatever_their_name(kind: str, mime: str) -> None:
    content = image_bytes(kind)
    assert attachments.check_upload(upload("anh-chup.pdf", content)) == (mime, content)


def test_an_html_page_named_pdf_is_refused() -> None:
    page = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
    with pytest.raises(attachments.UploadRefused) as caught:
        attachments.check_upload(upload("giay-chung-sinh.pdf", page, "application/pdf"))
    assert caught.value.message == (
        "Tệp “giay-chung-sinh.pdf” không phải là tệp PDF, JPG, PNG, TIFF. Vui lòng chụp hoặc quét lại giấy tờ."
    )


def test_a_type_not_in_the_settings_is_refused(settings: Any) -> None:
    with pytest.raises(attachments.UploadRefused):
        attachments.check_upload(upload("anh.gif", image_bytes("GIF")))
    settings.DOSSIER_ACCEPTED_TYPES = ["application/pdf"]
    with pytest.raises(attachments.UploadRefused) as caught:
        attachments.check_upload(upload("anh.jpg", image_bytes()))
    assert "không phải là tệp PDF." in caught.value.message


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(attachments.UploadRefused) as caught:
        attachments.check_upload(upload("trong.pdf", b""))
    assert caught.value.message == "Tệp “trong.pdf” không có nội dung."


def test_a_file_over_the_limit_is_refused_before_it_is_read(settings: Any) -> None:
    settings.DOSSIER_MAX_FILE_BYTES = 1024 * 1024
    big = upload("to.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 200 * 1024))
    with pytest.raises(attachments.UploadRefused) as caught:
        attachments.check_upload(big)
    assert caught.value.message == "Tệp “to.pdf” nặng 1,2 MB, quá giới hạn 1 MB cho mỗi tệp."


def test_the_files_of_one_dossier_have_a_total_limit(settings: Any) -> None:
    settings.DOSSIER_MAX_DOSSIER_BYTES = 10_000
    content = pdf_bytes()
    attachments.check_upload(upload("a.pdf", content), already=10_000 - len(content))
    with pytest.raises(attachments.UploadRefused) as caught:
        attachments.check_upload(upload("b.pdf", content), already=10_001 - len(content))
    assert "tổng dung lượng giấy tờ của một hồ sơ tối đa" in caught.value.message


@pytest.mark.django_db
def test_an_upload_is_kept_in_the_owners_store_under_a_random_name(settings: Any) -> None:
    user = make_citizen()
    document = attachments.store_upload(
        owner=user, uploaded_file=upload("Nguyen Van An - CCCD.jpg", image_bytes())
    )
    assert document.owner == user and document.title == "Nguyen Van An - CCCD"
    assert document.content_type == "image/jpeg" and document.size == len(image_bytes())
    assert "Nguyen" not in document.file.name and document.file.name.endswith(".jpg")
    assert (Path(settings.MEDIA_ROOT) / document.file.name).read_bytes() == image_bytes()


@pytest.mark.django_db(transaction=True)
def test_a_document_no_dossier_uses_is_deleted_from_the_store_the_drafts_and_the_disk(settings: Any) -> None:
    user = citizen_with_address()
    birth_procedure_with_eform()
    draft = drafts.start_draft(owner=user, procedure_code="1.001193")
    document = drafts.attach_upload(draft=draft, slot="doc-2", uploaded_file=upload("a.pdf", pdf_bytes()))
    path = Path(settings.MEDIA_ROOT) / document.file.name
    assert path.exists()
    attachments.delete_document(owner=user, document_id=document.pk)
    draft.refresh_from_db()
    assert draft.documents == {}
    assert not StoredDocument.objects.filter(pk=document.pk).exists()
    assert not path.exists()


@pytest.mark.django_db
def test_a_document_a_dossier_holds_cannot_be_deleted() -> None:
    user = citizen_with_address()
    birth_procedure_with_eform()
    dossier = submitted_dossier(user)
    held = dossier.documents.get().document
    with pytest.raises(DomainError) as caught:
        attachments.delete_document(owner=user, document_id=held.pk)
    assert "không xóa được" in caught.value.message
    assert StoredDocument.objects.filter(pk=held.pk).exists()


@pytest.mark.django_db
def test_nobody_deletes_another_persons_document() -> None:
    owner = make_citizen()
    other = make_citizen(username="0987654321", phone="0987654321", email="")
    document = attachments.store_upload(owner=owner, uploaded_file=upload("a.pdf", pdf_bytes()))
    with pytest.raises(NotFound):
        attachments.delete_document(owner=other, document_id=document.pk)
    assert StoredDocument.objects.filter(pk=document.pk).exists()
