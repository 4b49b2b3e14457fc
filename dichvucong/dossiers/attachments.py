"""Files citizens upload: checked by their content (never by their name), limited in size per file and per
dossier, kept in the personal document store (kho giấy tờ) through the default storage (the file system, or an
S3-compatible store in production, both through Django's storage API)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from dichvucong.accounts.models import User
from dichvucong.core.errors import DomainError, NotFound
from dichvucong.dossiers import services
from dichvucong.dossiers.models import DossierDocument, Draft, StoredDocument

# What the citizen is told the accepted types are, and the extension a stored file gets from its content.
TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG", "image/tiff": "TIFF"}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif"}
HEADER_BYTES = 8192  # filetype reads the signature from the first bytes


class UploadRefused(DomainError):
    """A file that cannot be accepted; the message names the file and says why, in Vietnamese."""


@dataclass(frozen=True)
class Checked:
    content_type: str
    content: bytes
    name: str


def megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    text = f"{value:.0f}" if value >= 10 or value.is_integer() else f"{value:.1f}"
    return text.replace(".", ",")


def accepted_type_names() -> str:
    return ", ".join(TYPE_NAMES.get(t, t) for t in settings.DOSSIER_ACCEPTED_TYPES)


def check_upload(uploaded_file: UploadedFile, *, already: int = 0) -> tuple[str, bytes]:
    """The content type (found from the content) and the bytes of an uploaded file, or `UploadRefused`: empty,
    larger than `DOSSIER_MAX_FILE_BYTES`, making the dossier larger than `DOSSIER_MAX_DOSSIER_BYTES` with the
    `already` bytes attached, or not one of `DOSSIER_ACCEPTED_TYPES` whatever its name says (an HTML page named
    .pdf is refused)."""
    name = uploaded_file.name or _("tệp")
    size = uploaded_file.size or 0
    if size <= 0:
        raise UploadRefused(_("Tệp “%(name)s” không có nội dung.") % {"name": name})
    if size > settings.DOSSIER_MAX_FILE_BYTES:
        raise UploadRefused(
            _("Tệp “%(name)s” nặng %(size)s MB, quá giới hạn %(limit)s MB cho mỗi tệp.")
            % {"name": name, "size": megabytes(size), "limit": megabytes(settings.DOSSIER_MAX_FILE_BYTES)}
        )
    if already + size > settings.DOSSIER_MAX_DOSSIER_BYTES:
        raise UploadRefused(
            _("Không thêm được “%(name)s”: tổng dung lượng giấy tờ của một hồ sơ tối đa %(limit)s MB.")
            % {"name": name, "limit": megabytes(settings.DOSSIER_MAX_DOSSIER_BYTES)}
        )
    content = b"".join(uploaded_file.chunks())
    if len(content) > settings.DOSSIER_MAX_FILE_BYTES:  # the declared size was wrong
        raise UploadRefused(
            _("Tệp “%(name)s” quá giới hạn %(limit)s MB cho mỗi tệp.")
            % {"name": name, "limit": megabytes(settings.DOSSIER_MAX_FILE_BYTES)}
        )
    kind = filetype.guess(content[:HEADER_BYTES])
    if kind is None or kind.mime not in settings.DOSSIER_ACCEPTED_TYPES:
        raise UploadRefused(
            _("Tệp “%(name)s” không phải là tệp %(types)s. Vui lòng chụp hoặc quét lại giấy tờ.")
            % {"name": name, "types": accepted_type_names()}
        )
    return kind.mime, content


def storage_name(content_type: str) -> str:
    """A random file name: the citizen's own file name (often their name or number) stays out of the storage
    path; it is kept as the document's title."""
    return f"{uuid.uuid4().hex}{EXTENSIONS.get(content_type, '')}"


def title_of(uploaded_file: UploadedFile) -> str:
    name = (uploaded_file.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return " ".join(stem.split())[:255] or _("Giấy tờ")


def store_upload(
    *, owner: User, uploaded_file: UploadedFile, title: str = "", already: int = 0
) -> StoredDocument:
    """Check an uploaded file and keep it in the owner's document store."""
    content_type, content = check_upload(uploaded_file, already=already)
    return services.store_document(
        owner=owner,
        title=title.strip() or title_of(uploaded_file),
        content=content,
        filename=storage_name(content_type),
        content_type=content_type,
    )


def is_used(document: StoredDocument) -> bool:
    """Whether a dossier holds the document (submitted with it, or its result)."""
    return DossierDocument.objects.filter(document=document).exists()


@transaction.atomic
def delete_document(*, owner: User, document_id: int) -> None:
    """Remove a document from the owner's store, and from their drafts; one that a dossier holds stays (the
    agency relies on it)."""
    document = StoredDocument.objects.select_for_update().filter(owner=owner, pk=document_id).first()
    if document is None:
        raise NotFound(_("Không tìm thấy giấy tờ trong kho của bạn."))
    if is_used(document):
        raise DomainError(
            _("Giấy tờ này đã nộp kèm một hồ sơ hoặc là kết quả giải quyết nên không xóa được.")
        )
    for draft in Draft.objects.select_for_update().filter(owner=owner, dossier__isnull=True):
        kept = {slot: [i for i in ids if i != document.pk] for slot, ids in draft.documents.items()}
        if kept != draft.documents:
            draft.documents = {slot: ids for slot, ids in kept.items() if ids}
            draft.save(update_fields=["documents", "updated_at"])
    file_name, storage = document.file.name, document.file.storage
    document.delete()
    transaction.on_commit(lambda: _delete_file(storage, file_name))


def _delete_file(storage: Any, name: str | None) -> None:
    if name:
        storage.delete(name)


def store_documents(user: User) -> QuerySet[StoredDocument]:
    """The person's document store, newest first, each marked `in_use` when a dossier holds it (then it cannot
    be deleted)."""
    held = DossierDocument.objects.filter(document=OuterRef("pk"))
    return (
        StoredDocument.objects.filter(owner=user).annotate(in_use=Exists(held)).order_by("-created_at", "-id")
    )
