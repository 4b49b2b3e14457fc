"""API for agencies' one-stop systems (`/api/v1/agency/…`): the bulk status sync, their dossiers in the national
field names, result documents, and the download of documents submitted on the portal.

Authenticated per agency (`agency_auth`: HMAC-signed with the integration's key, or an OAuth 2 client-credentials
token): a system reads and writes only the dossiers of its agency and the agencies under it; anything else answers
404 (reads) or a `rejected` result (events), as if it did not exist.
"""

from __future__ import annotations

import json
import os
from typing import Any

import filetype
from django.conf import settings
from django.core import signing as django_signing
from django.db import OperationalError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from ninja import Router

from dichvucong.dossiers import links, national, selectors, services, sync
from dichvucong.dossiers.national import RecordError
from dichvucong.monitoring.services import inbound

from .agency_auth import AgencyAuth, AgencyCaller, raw_body, touch_integration
from .agency_events import REQUEST_BODY, parse_event
from .problems import problem
from .schemas import Problem

router = Router(tags=["agency"], auth=AgencyAuth())
ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 413: Problem, 422: Problem}
DEADLOCK_RETRIES = 3


def _json(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _ingest(caller: AgencyCaller, events: list[sync.EventIn]) -> list[sync.EventResult]:
    """`sync.ingest`, tried again when PostgreSQL ends the transaction to break a deadlock with a concurrent
    batch touching the same dossiers (the batch is one transaction, so trying again is safe)."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            return sync.ingest(source=caller.source, events=events)
        except OperationalError as exc:
            if attempt + 1 == DEADLOCK_RETRIES or "deadlock" not in str(exc).lower():
                raise
    raise AssertionError("unreachable")


@router.post(
    "/status-events",
    response={200: dict[str, Any], **ERRORS},
    summary="Đồng bộ trạng thái hồ sơ (tối đa 1.000 sự kiện mỗi yêu cầu)",
    openapi_extra={"requestBody": REQUEST_BODY},
)
@inbound("status-events")
def status_events(request: HttpRequest) -> HttpResponse:
    """Status changes and processing steps of the caller's dossiers, made on the portal or received at a counter.
    Idempotent by event id; the same events in any order give the same dossiers. One result per event, in order:
    `applied`, `duplicate` (seen before, nothing changed) or `rejected` (with the reason)."""
    caller: AgencyCaller = request.auth  # type: ignore[attr-defined]
    raw = raw_body(request)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return problem(request, status=400, detail="Nội dung yêu cầu không phải JSON hợp lệ (UTF-8).")
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list):
        return problem(
            request,
            status=422,
            detail='Nội dung phải là một đối tượng JSON {"events": [...]}.',
            type_="/problems/invalid-parameters",
        )
    limit = settings.DOSSIER_SYNC_MAX_EVENTS
    if len(events) > limit:
        return problem(
            request,
            status=413,
            detail=f"Mỗi yêu cầu tối đa {limit:,} sự kiện; yêu cầu này có {len(events):,}.".replace(",", "."),
            type_="/problems/too-many-events",
        )
    results: list[dict[str, Any]] = [{}] * len(events)
    parsed: list[tuple[int, sync.EventIn]] = []
    # PostgreSQL text cannot hold U+0000; such an event is refused alone rather than failing the whole batch.
    nul = b"\\u0000" in raw
    for index, event in enumerate(events):
        try:
            if nul and _has_nul(event):
                raise RecordError("Nội dung chứa ký tự NUL (\\u0000), không được chấp nhận")
            parsed.append((index, parse_event(event)))
        except RecordError as exc:
            item = event if isinstance(event, dict) else {}
            results[index] = {
                "index": index,
                "id": item.get("id") if isinstance(item.get("id"), str) else "",
                "dossier_code": item.get("dossier_code") if isinstance(item.get("dossier_code"), str) else "",
                "outcome": "rejected",
                "message": str(exc),
            }
    touch_integration(caller.integration_id)
    outcomes = _ingest(caller, [event for _, event in parsed]) if parsed else []
    for (index, _event), outcome in zip(parsed, outcomes, strict=True):
        results[index] = {
            "index": index,
            "id": outcome.event_id,
            "dossier_code": outcome.dossier_code,
            "outcome": outcome.outcome,
            "message": outcome.message,
        }
    counts = {"applied": 0, "duplicate": 0, "rejected": 0}
    for item in results:
        counts[item["outcome"]] += 1
    return _json(
        {
            "results": results,
            "applied": counts["applied"],
            "duplicates": counts["duplicate"],
            "rejected": counts["rejected"],
        }
    )


@router.get(
    "/dossiers/{code}",
    response={200: dict[str, Any], **ERRORS},
    summary="Một hồ sơ của cơ quan, theo tên trường của Cổng DVC quốc gia",
)
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    caller: AgencyCaller = request.auth  # type: ignore[attr-defined]
    found = selectors.dossier_for_agencies(code, caller.agency_ids)
    return _json(national.dossier_to_national(found, links.document_urls(found)))


@router.post(
    "/dossiers/{code}/results",
    response={200: dict[str, Any], 415: Problem, **ERRORS},
    summary="Gửi giấy tờ kết quả của hồ sơ (multipart: name, code, file)",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["name", "file"],
                        "properties": {
                            "name": {"type": "string", "maxLength": 500, "description": "TenGiayTo"},
                            "code": {
                                "type": "string",
                                "maxLength": 60,
                                "description": "mã kết quả (KQ.Gnn.nnnnnn)",
                            },
                            "file": {"type": "string", "format": "binary"},
                        },
                    }
                }
            }
        }
    },
)
@inbound("results")
def add_result(request: HttpRequest, code: str) -> HttpResponse:
    """A result document of one of the caller's dossiers, kept in the applicant's document store. The signature
    covers the raw multipart body. The type is read from the content, not from the name or the declared type.
    The same file sent again is kept once."""
    caller: AgencyCaller = request.auth  # type: ignore[attr-defined]
    found = selectors.dossier_for_agencies(code, caller.agency_ids)
    raw_body(request)  # read (and signed) already; parsing the multipart body below reads it from memory
    upload = request.FILES.get("file")
    name = (request.POST.get("name") or "").strip()
    result_code = (request.POST.get("code") or "").strip()
    errors = []
    if upload is None:
        errors.append({"location": "file", "message": "Thiếu tệp kết quả (file)."})
    if not name or len(name) > 500:
        errors.append({"location": "name", "message": "Tên giấy tờ bắt buộc, tối đa 500 ký tự."})
    if len(result_code) > 60:
        errors.append({"location": "code", "message": "Mã kết quả tối đa 60 ký tự."})
    if errors or upload is None:
        return problem(
            request,
            status=422,
            detail="Dữ liệu gửi lên chưa hợp lệ.",
            type_="/problems/invalid-parameters",
            errors=errors,
        )
    limit = settings.DOSSIER_MAX_FILE_BYTES
    if upload.size is None or upload.size > limit:
        return problem(request, status=413, detail=f"Tệp vượt quá {limit // (1024 * 1024)} MB.")
    content = upload.read()
    kind = filetype.guess(content)
    accepted = settings.DOSSIER_ACCEPTED_TYPES
    if kind is None or kind.mime not in accepted:
        seen = kind.mime if kind else "không xác định"
        return problem(
            request,
            status=415,
            type_="/problems/unsupported-file-type",
            detail=f"Nội dung tệp là {seen}; chỉ nhận {', '.join(accepted)} (xét theo nội dung, không theo tên tệp).",
        )
    filename = os.path.basename(upload.name or "") or f"ket-qua.{kind.extension}"
    document = services.add_result(
        dossier=found, name=name, code=result_code, content=content, filename=filename, content_type=kind.mime
    )
    touch_integration(caller.integration_id)
    return _json(
        {
            "id": document.pk,
            "dossier_code": found.code,
            "name": document.name,
            "code": document.code,
            "content_type": document.document.content_type,
            "size": document.document.size,
            "sha256": document.document.sha256,
        }
    )


@router.get(
    "/documents/{token}",
    auth=None,
    response={200: None, 404: Problem, 410: Problem},
    summary="Tải một tệp hồ sơ (DuongDanTaiTep: liên kết có chữ ký, có hạn)",
)
def download(request: HttpRequest, token: str) -> HttpResponseBase:
    """The address is the credential (one-stop systems fetch it as a plain URL): it names one submitted document
    of one dossier and expires after `ONESTOP_DOCUMENT_URL_SECONDS`."""
    try:
        document_id, dossier_code = links.document_from_token(token)
    except django_signing.SignatureExpired:
        return problem(
            request, status=410, detail="Liên kết tải tệp đã hết hạn: hãy lấy lại hồ sơ để có liên kết mới."
        )
    except django_signing.BadSignature:
        return problem(request, status=404, detail="Liên kết tải tệp không hợp lệ.")
    document = selectors.submitted_document(document_id, dossier_code)
    stored = document.document
    return FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=os.path.basename(stored.file.name or "") or document.name,
        content_type=stored.content_type,
    )
