"""The sync interface one-stop systems already speak to the national portal (Cổng DVC quốc gia), so that an
existing system can point its adapter at this portal and keep working: JSON POST, a session obtained with a
username and password, every body carrying `session`, `madonvi` and `service`, answers with `error_code` ("00"
is success) and a Vietnamese `message`, dates as `yyyyMMddHHmmss` in Vietnam's time.

What is known of it comes from DOMAIN.md and from open-source one-stop systems that call it (OpenCPS): they sign in
by POSTing `{"username", "password"}` to the adapter's sign-in address and read `session` and `error_code`; they
POST every other call to one integration address (`service` names the operation; `dstcode` is sent as a header);
look-ups answer with a `result` list; `isUpdating` is sent as "True"/"False"; procedure fields come back upper
case (`MATTHC`, `TENTTHC`, `LINHVUCTHUCHIEN` …). The real addresses, the other error codes and some field names
are not public (?): every address under `LEGACY_SYNC_PATH` answers every call (`…/auth`, `…/integration`,
`…/share` are aliases), and the error codes below are this portal's own.

Both this interface and the bulk API (`agency.py`) write through `sync.ingest`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.urls import re_path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import HttpError

from dichvucong.catalogue import selectors as catalogue
from dichvucong.core.calls import IN, ONESTOP, observe
from dichvucong.core.errors import NotFound
from dichvucong.dossiers import links, national, selectors, sync
from dichvucong.dossiers.models import AgencyIntegration, DossierEvent, LegacySession
from dichvucong.dossiers.national import RecordError, format_time, parse_time
from dichvucong.organisations.models import Agency

from .agency_auth import agency_tree, raw_body, touch_integration

log = logging.getLogger(__name__)

OK = "00"
INVALID = "01"  # the request or some of its data cannot be read
SIGN_IN_FAILED = "02"
NO_SESSION = "03"  # missing, unknown or expired session: sign in again
WRONG_UNIT = "04"  # madonvi is not the system's agency or one under it
UNKNOWN_SERVICE = "05"
SYSTEM_ERROR = "99"

CHANNELS = {"in_person": 1, "online": 2, "post": 3}
TIME_UNITS = {"working_days": "Ngày làm việc", "days": "Ngày", "hours": "Giờ", "months": "Tháng"}
STEP_FIELDS = (
    "MaHoSo",
    "NguoiXuLy",
    "ChucDanh",
    "ThoiDiemXuLy",
    "PhongBanXuLy",
    "NoiDungXuLy",
    "TrangThai",
    "NgayBatDau",
    "NgayKetThucTheoQuyDinh",
)


class Reply(JsonResponse):
    """An answer of the interface; keeps its `error_code` for the monitor to read without parsing the body."""

    error_code: str = ""


def _reply(code: str, message: str, **extra: Any) -> Reply:
    # Always HTTP 200: the callers read error_code, and some treat any other status as "no answer".
    reply = Reply(
        {"error_code": code, "message": message, **extra}, json_dumps_params={"ensure_ascii": False}
    )
    reply.error_code = code
    return reply


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- sign-in and session -------------------------------------------------------------------------------------


def sign_in(body: dict[str, Any]) -> JsonResponse:
    """`{"username", "password"}` → a session for `LEGACY_SYNC_SESSION_SECONDS` (only its hash is kept)."""
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return _reply(INVALID, "Cần username và password.")
    integration = AgencyIntegration.objects.filter(legacy_username=username, is_active=True).first()
    encoded = integration.legacy_password if integration is not None else ""
    # check_password hashes even without a usable stored hash, so an unknown username takes as long as a wrong
    # password.
    if not check_password(password, encoded) or integration is None:
        return _reply(SIGN_IN_FAILED, "Tên đăng nhập hoặc mật khẩu không đúng.")
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(seconds=settings.LEGACY_SYNC_SESSION_SECONDS)
    LegacySession.objects.filter(integration=integration, expires_at__lt=now).delete()
    LegacySession.objects.create(integration=integration, token_hash=_hash(token), expires_at=expires)
    return _reply(OK, "Đăng nhập thành công.", session=token, expires=format_time(expires))


def _session(body: dict[str, Any]) -> AgencyIntegration | None:
    token = body.get("session")
    if not isinstance(token, str) or not token:
        return None
    found = (
        LegacySession.objects.select_related("integration")
        .filter(token_hash=_hash(token), expires_at__gt=timezone.now(), integration__is_active=True)
        .first()
    )
    return found.integration if found is not None else None


def _unit(integration: AgencyIntegration, madonvi: Any) -> tuple[int, str] | None:
    """The agency `madonvi` names (by identification or register code), if it is the system's or under it;
    returns its id and the code dossier records use for it."""
    if not isinstance(madonvi, str) or not madonvi.strip():
        return None
    value = madonvi.strip()
    agency = (
        Agency.objects.filter(Q(identification_code=value) | Q(code=value))
        .values("id", "code", "identification_code")
        .first()
    )
    if agency is None or agency["id"] not in agency_tree(integration.agency_id):
        return None
    return agency["id"], agency["identification_code"] or agency["code"]


# --- operations ------------------------------------------------------------------------------------------------


class Call:
    """One authenticated call: the system, the agency `madonvi` names, and the body."""

    def __init__(self, integration: AgencyIntegration, unit_code: str, body: dict[str, Any]) -> None:
        self.integration = integration
        self.unit_code = unit_code
        self.body = body
        self.tree = agency_tree(integration.agency_id)

    @property
    def source(self) -> sync.SyncSource:
        return sync.SyncSource(
            agency_id=self.integration.agency_id,
            allowed_agency_ids=self.tree,
            kind=DossierEvent.Source.LEGACY,
        )

    def data(self) -> list[Any]:
        data = self.body.get("data")
        if not isinstance(data, list):
            raise RecordError("data: cần một danh sách")
        if len(data) > settings.DOSSIER_SYNC_MAX_EVENTS:
            raise RecordError(f"data: tối đa {settings.DOSSIER_SYNC_MAX_EVENTS} phần tử mỗi lần gọi")
        return data


def _known_agency_codes(values: set[str]) -> set[str]:
    if not values:
        return set()
    known: set[str] = set()
    for code, ident in Agency.objects.filter(
        Q(code__in=values) | Q(identification_code__in=values)
    ).values_list("code", "identification_code"):
        known.update({code, ident})
    return known & values


def _as_record(item: Any, unit_code: str, known: set[str]) -> national.DossierRecord:
    """Read one dossier of DongBoHoSoMC, tolerating what existing systems send: `HinhThuc` "0" (not in the
    1-3 list; read as not given), and the agency's name instead of its code in `DonViXuLy`, or nothing there (the
    dossier is then of the agency `madonvi` names; the name is kept in the details)."""
    if not isinstance(item, dict):
        raise RecordError("Mỗi hồ sơ phải là một đối tượng JSON")
    unit = str(item.get("DonViXuLy") or "").strip()
    if str(item.get("HinhThuc", "")).strip() == "0" or unit not in known:
        item = {k: v for k, v in item.items() if not (k == "HinhThuc" and str(v).strip() == "0")}
        item["DonViXuLy"] = unit if unit in known else unit_code
    record = national.record_from_national(item)
    if unit and unit not in known:
        record = replace(record, extra={**record.extra, "TenDonViXuLy": unit[:300]})
    return record


def _item_results(
    codes: list[str], problems: dict[int, str], outcomes: dict[int, sync.EventResult]
) -> tuple[list[dict[str, str]], int]:
    items, failed = [], 0
    for index, code in enumerate(codes):
        message = problems.get(index) or (outcomes[index].message if index in outcomes else "")
        rejected = index in problems or (index in outcomes and outcomes[index].outcome == "rejected")
        failed += rejected
        outcome = outcomes[index].outcome if index in outcomes else "rejected"
        items.append(
            {"MaHoSo": code, "error_code": INVALID if rejected else OK, "message": message, "ketqua": outcome}
        )
    return items, failed


def _ingest(
    call: Call, codes: list[str], events: dict[int, sync.EventIn], problems: dict[int, str], what: str
) -> JsonResponse:
    order = sorted(events)
    outcomes = dict(
        zip(order, sync.ingest(source=call.source, events=[events[i] for i in order]), strict=True)
    )
    touch_integration(call.integration.pk)
    items, failed = _item_results(codes, problems, outcomes)
    if failed:
        return _reply(INVALID, f"{failed}/{len(codes)} {what} không được ghi nhận; xem result.", result=items)
    return _reply(OK, f"Đã ghi nhận {len(codes)} {what}.", result=items)


def dong_bo_ho_so(call: Call) -> JsonResponse:
    """DongBoHoSoMC: dossiers as the agency's system holds them (new ones, or updates: `isUpdating`, which
    changes nothing here, since a record sent twice is recognised either way)."""
    data = call.data()
    known = _known_agency_codes({str(d.get("DonViXuLy") or "").strip() for d in data if isinstance(d, dict)})
    codes: list[str] = []
    events: dict[int, sync.EventIn] = {}
    problems: dict[int, str] = {}
    for index, item in enumerate(data):
        codes.append(str(item.get("MaHoSo") or "") if isinstance(item, dict) else "")
        try:
            events[index] = sync.event_from_record(_as_record(item, call.unit_code, known))
        except RecordError as exc:
            problems[index] = str(exc)
    return _ingest(call, codes, events, problems, "hồ sơ")


def step_event(item: Any) -> sync.EventIn:
    """One step of CapNhatTienDoHoSoMC as an event. The event id is a digest of the step's content, so that the
    same step sent again is a duplicate, whatever the caller resends."""
    if not isinstance(item, dict):
        raise RecordError("Mỗi bước xử lý phải là một đối tượng JSON")
    values = {name: item.get(name) for name in STEP_FIELDS}
    code = str(values["MaHoSo"] or "").strip()
    if not code or len(code) > 60:
        raise RecordError("MaHoSo: bắt buộc, tối đa 60 ký tự")
    try:
        status = int(str(values["TrangThai"]).strip())
    except ValueError as exc:
        raise RecordError("TrangThai: bắt buộc, số nguyên từ 1 đến 10") from exc
    occurred = parse_time(values["ThoiDiemXuLy"], "ThoiDiemXuLy")
    if occurred is None:
        raise RecordError("ThoiDiemXuLy: bắt buộc")
    started = parse_time(values["NgayBatDau"], "NgayBatDau")
    due = parse_time(values["NgayKetThucTheoQuyDinh"], "NgayKetThucTheoQuyDinh")
    texts = {
        name: str(values[name] or "").strip()
        for name in ("NguoiXuLy", "ChucDanh", "PhongBanXuLy", "NoiDungXuLy")
    }
    canonical = json.dumps(
        [
            code,
            status,
            occurred.astimezone(dt.UTC).isoformat(),
            texts,
            started and started.isoformat(),
            due and due.isoformat(),
        ],
        ensure_ascii=False,
        sort_keys=True,
    )
    return sync.EventIn(
        event_id="CapNhatTienDoHoSoMC-" + hashlib.sha256(canonical.encode()).hexdigest()[:40],
        dossier_code=code,
        status=status,
        occurred_at=occurred,
        actor_name=texts["NguoiXuLy"][:200],
        actor_title=texts["ChucDanh"][:200],
        unit=texts["PhongBanXuLy"][:300],
        content=texts["NoiDungXuLy"],
        step_started_at=started,
        step_due_at=due,
    )


def cap_nhat_tien_do(call: Call) -> JsonResponse:
    """CapNhatTienDoHoSoMC: processing steps (who, role, when, unit, what, status, step deadline)."""
    data = call.data()
    codes: list[str] = []
    events: dict[int, sync.EventIn] = {}
    problems: dict[int, str] = {}
    for index, item in enumerate(data):
        codes.append(str(item.get("MaHoSo") or "") if isinstance(item, dict) else "")
        try:
            events[index] = step_event(item)
        except RecordError as exc:
            problems[index] = str(exc)
    return _ingest(call, codes, events, problems, "bước xử lý")


def tra_cuu_ho_so(call: Call) -> JsonResponse:
    """TraCuuHoSo: a dossier of the system's agencies by `MaHoSo`; `result` is empty when there is none."""
    code = call.body.get("MaHoSo")
    if not isinstance(code, str) or not code.strip():
        return _reply(INVALID, "MaHoSo: bắt buộc.")
    try:
        found = selectors.dossier_for_agencies(code.strip(), call.tree)
    except NotFound:
        return _reply(OK, f"Không tìm thấy hồ sơ {code.strip()[:60]}.", result=[])
    return _reply(OK, "Thành công.", result=[national.dossier_to_national(found, links.document_urls(found))])


def _procedure(procedure: Any) -> dict[str, Any]:
    """A published procedure in the national upper-case names that LayThuTuc answers with. The names come from
    systems that read them (OpenCPS); SOBANCHINH/SOBANSAO and MOTADOITUONGTHUCHIEN's content are guesses (?)."""
    steps: dict[str, list[dict[str, str]]] = defaultdict(list)
    for step in procedure.steps or []:
        text = step.get("title", "") + (f": {step['description']}" if step.get("description") else "")
        steps[step.get("case", "")].append({"TENTRINHTU": text})
    documents: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for document in procedure.documents or []:
        documents[document.get("case") or document.get("group", "")].append(
            {
                "MAGIAYTO": "",
                "TENGIAYTO": document.get("name", ""),
                "SOBANCHINH": document.get("originals", 0),
                "SOBANSAO": document.get("copies", 0),
                "TENMAUDON": document.get("template", ""),
                "URL": document.get("template_url", ""),
            }
        )
    agency = procedure.managing_agency
    return {
        "MATTHC": procedure.code,
        "TENTTHC": procedure.name,
        "MACOQUANCONGBO": agency.identification_code or agency.code,
        "TRANGTHAI": 1,
        "LINHVUCTHUCHIEN": [{"MALINHVUC": f.slug, "TENLINHVUC": f.name} for f in procedure.fields.all()],
        "TRINHTUTHUCHIEN": [{"TRUONGHOP": case, "TRINHTU": items} for case, items in steps.items()],
        "CACHTHUCTHUCHIEN": [
            {
                "KENH": CHANNELS.get(method.get("channel", ""), 1),
                "THOIGIAN": [
                    {
                        "THOIGIANGIAIQUYET": method.get("time_limit"),
                        "DONVITINH": TIME_UNITS.get(method.get("time_unit", ""), ""),
                        "MOTA": method.get("time_limit_text") or method.get("description", ""),
                        "PHILEPHI": [
                            {
                                "MAPHILEPHI": fee.get("code", ""),
                                "SOTIEN": fee.get("amount"),
                                "DONVI": "Đồng",
                                "MOTA": fee.get("description", ""),
                            }
                            for fee in method.get("fees", [])
                        ],
                    }
                ],
            }
            for method in procedure.methods or []
        ],
        "THANHPHANHOSO": [{"TRUONGHOP": case, "GIAYTO": items} for case, items in documents.items()],
        "YEUCAU": procedure.conditions,
        "MOTADOITUONGTHUCHIEN": ", ".join(procedure.audiences or []),
        "KETQUATHUCHIEN": [
            {"MAKETQUA": r.get("code", ""), "TENKETQUA": r.get("name", "")} for r in procedure.results or []
        ],
        "CANCUPHAPLY": [
            {"SOVANBAN": b.get("number", ""), "TENVANBAN": b.get("title", "")}
            for b in procedure.legal_basis or []
        ],
        "COQUANTHUCHIEN": [
            {"MADONVI": agency.identification_code or agency.code, "TENDONVI": procedure.competent_agency}
        ],
    }


def lay_thu_tuc(call: Call) -> JsonResponse:
    """LayThuTuc: a published procedure by `MaTTHC` (some systems send `maTTHC`)."""
    code = call.body.get("MaTTHC") or call.body.get("maTTHC")
    if not isinstance(code, str) or not code.strip():
        return _reply(INVALID, "MaTTHC: bắt buộc.")
    try:
        procedure = catalogue.procedure_get(code.strip())
    except NotFound:
        return _reply(OK, f"Không tìm thấy thủ tục {code.strip()[:20]}.", result=[])
    return _reply(OK, "Thành công.", result=[_procedure(procedure)])


def lay_danh_sach_tthc(call: Call) -> JsonResponse:
    """LayDanhSachTTHC: every published procedure, code and name (with field and publishing agency)."""
    result = []
    for procedure in catalogue.published_procedures():
        fields = list(procedure.fields.all())
        agency = procedure.managing_agency
        result.append(
            {
                "MATTHC": procedure.code,
                "TENTTHC": procedure.name,
                "MALINHVUC": fields[0].slug if fields else "",
                "TENLINHVUC": fields[0].name if fields else "",
                "MACOQUANCONGBO": agency.identification_code or agency.code,
            }
        )
    return _reply(OK, "Thành công.", result=result)


OPERATIONS: dict[str, Callable[[Call], JsonResponse]] = {
    "DongBoHoSoMC": dong_bo_ho_so,
    "CapNhatTienDoHoSoMC": cap_nhat_tien_do,
    "TraCuuHoSo": tra_cuu_ho_so,
    "LayThuTuc": lay_thu_tuc,
    "LayDanhSachTTHC": lay_danh_sach_tthc,
}


@csrf_exempt
def endpoint(request: HttpRequest, **_: Any) -> JsonResponse:
    """Every call: a sign-in when the body has `username` and no `service`, else the operation `service` names,
    with the session."""
    if request.method != "POST":
        return _reply(INVALID, "Chỉ nhận POST với nội dung JSON.")
    try:
        body = json.loads(raw_body(request))
    except HttpError as exc:
        return _reply(INVALID, str(exc))
    except (ValueError, UnicodeDecodeError):
        return _reply(INVALID, "Nội dung yêu cầu không phải JSON hợp lệ (UTF-8).")
    if not isinstance(body, dict):
        return _reply(INVALID, "Nội dung yêu cầu phải là một đối tượng JSON.")
    service = body.get("service")
    if service in (None, "") and "username" in body:
        return sign_in(body)
    integration = _session(body)
    if integration is None:
        return _reply(NO_SESSION, "Phiên làm việc (session) không hợp lệ hoặc đã hết hạn: đăng nhập lại.")
    operation = OPERATIONS.get(service) if isinstance(service, str) else None
    if operation is None:
        return _reply(
            UNKNOWN_SERVICE, f"Không hỗ trợ service {str(service)[:60]!r}: {', '.join(OPERATIONS)}."
        )
    unit = _unit(integration, body.get("madonvi"))
    if unit is None:
        return _reply(WRONG_UNIT, "madonvi không phải mã đơn vị của hệ thống hoặc của đơn vị trực thuộc.")
    try:
        with observe(
            kind=ONESTOP, integration_id=integration.pk, direction=IN, operation=str(service)
        ) as seen:
            reply = operation(Call(integration, unit[1], body))
            if getattr(reply, "error_code", OK) != OK:
                seen.error = reply.content[:500].decode(errors="replace")
            return reply
    except RecordError as exc:
        return _reply(INVALID, str(exc))
    except Exception:
        log.exception("legacy sync: %s failed", service)
        return _reply(SYSTEM_ERROR, "Đã có lỗi trong hệ thống; vui lòng thử lại sau.")


urlpatterns = [re_path(r"^(?:(?P<part>auth|integration|share)/?)?$", endpoint, name="legacy-sync")]
