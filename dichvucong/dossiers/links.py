"""Download addresses of documents submitted with a dossier, given to agency one-stop systems (`DuongDanTaiTep`
in the national names): absolute, signed with `django.core.signing` and valid for
`ONESTOP_DOCUMENT_URL_SECONDS`. The address itself is the credential, since one-stop systems fetch it as a plain
URL; it names one document of one dossier and expires. `GET /api/v1/agency/documents/{token}` serves it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing

from dichvucong.dossiers.models import Dossier, DossierDocument

# Shared with the delivery of dossiers (`delivery.py`), which makes the same tokens.
SALT = "dichvucong.dossiers.document-download"
PATH = "/api/v1/agency/documents/"


def _token(document_id: int, dossier_code: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object(
        {"d": document_id, "c": dossier_code}, compress=True
    )


def document_url(document: DossierDocument) -> str:
    """The signed, expiring download address of one document (reads `document.dossier` for its code)."""
    return settings.PORTAL_BASE_URL.rstrip("/") + PATH + _token(document.pk, document.dossier.code)


def document_urls(dossier: Dossier) -> dict[int, str]:
    """Download addresses of the documents submitted with `dossier`, by DossierDocument id (for
    `national.dossier_to_national`). Uses `dossier.documents.all()`, so prefetch it."""
    base = settings.PORTAL_BASE_URL.rstrip("/") + PATH
    return {
        d.pk: base + _token(d.pk, dossier.code)
        for d in dossier.documents.all()
        if d.kind == DossierDocument.Kind.SUBMITTED
    }


def document_from_token(token: str) -> tuple[int, str]:
    """The (DossierDocument id, dossier code) a token names; raises `signing.BadSignature` (or its subclass
    `signing.SignatureExpired`) when the token was altered or is too old."""
    data: Any = signing.TimestampSigner(salt=SALT).unsign_object(
        token, max_age=settings.ONESTOP_DOCUMENT_URL_SECONDS
    )
    if not isinstance(data, dict) or not isinstance(data.get("d"), int) or not isinstance(data.get("c"), str):
        raise signing.BadSignature("malformed document token")
    return data["d"], data["c"]
