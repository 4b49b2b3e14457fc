"""The wire format of the bulk status API (`POST /api/v1/agency/status-events`), read into `sync.EventIn`.

Read by hand in one pass over the output of `json.loads` rather than through nested pydantic models: a batch of a
thousand events with dossier records is the hot path of the national sync, and a malformed event must become its
own `rejected` result (with a Vietnamese message) while the rest of the batch applies, which a model of the whole
body would not give. `EVENT_SCHEMA` documents the same format for the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dichvucong.dossiers import national
from dichvucong.dossiers.deadlines import LOCAL
from dichvucong.dossiers.national import RecordError
from dichvucong.dossiers.sync import EventIn

STEP_TEXT_FIELDS = {"actor_name": 200, "actor_title": 200, "unit": 300, "content": 10_000}


def parse_time(value: Any, name: str) -> dt.datetime:
    """ISO 8601 with an offset (`2026-11-02T08:00:00+07:00`, `…Z`), or `yyyyMMddHHmmss` in Vietnam's time."""
    if isinstance(value, str):
        if len(value) == 14 and value.isdigit():
            try:
                return dt.datetime(
                    int(value[0:4]),
                    int(value[4:6]),
                    int(value[6:8]),
                    int(value[8:10]),
                    int(value[10:12]),
                    int(value[12:14]),
                    tzinfo=LOCAL,
                )
            except ValueError as exc:
                raise RecordError(f"{name}: ngày giờ không tồn tại: {value}") from exc
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise RecordError(
                f"{name}: không đúng định dạng ISO 8601 hoặc yyyyMMddHHmmss: {value[:40]}"
            ) from exc
        if moment.tzinfo is None:
            raise RecordError(f"{name}: cần ghi múi giờ, ví dụ 2026-11-02T08:00:00+07:00")
        return moment
    raise RecordError(f"{name}: bắt buộc, dạng chuỗi ngày giờ")


def _text(data: dict[str, Any], name: str, limit: int, prefix: str = "") -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"{prefix}{name}: phải là chuỗi")
    value = value.strip()
    if len(value) > limit:
        raise RecordError(f"{prefix}{name}: dài quá {limit} ký tự")
    return value


def _status(value: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10:
        raise RecordError("status: phải là số nguyên từ 1 đến 10 (danh mục TrangThaiHoSo)")
    return value


def parse_event(raw: Any) -> EventIn:
    """One event of the body; raises RecordError naming the field at fault."""
    if not isinstance(raw, dict):
        raise RecordError("Mỗi sự kiện phải là một đối tượng JSON")
    event_id = raw.get("id")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 80:
        raise RecordError("id: bắt buộc, chuỗi tối đa 80 ký tự")
    code = raw.get("dossier_code")
    if not isinstance(code, str) or not code.strip() or len(code) > 60:
        raise RecordError("dossier_code: bắt buộc, chuỗi tối đa 60 ký tự")
    code = code.strip()
    status = _status(raw.get("status"))
    occurred_at = parse_time(raw.get("occurred_at"), "occurred_at")
    texts = dict.fromkeys(STEP_TEXT_FIELDS, "")
    started = due = None
    step = raw.get("step")
    if step is not None:
        if not isinstance(step, dict):
            raise RecordError("step: phải là một đối tượng JSON")
        for name, limit in STEP_TEXT_FIELDS.items():
            texts[name] = _text(step, name, limit, "step.")
        if step.get("started_at") not in (None, ""):
            started = parse_time(step["started_at"], "step.started_at")
        if step.get("due_at") not in (None, ""):
            due = parse_time(step["due_at"], "step.due_at")
    record = None
    dossier = raw.get("dossier")
    if dossier is not None:
        if not isinstance(dossier, dict):
            raise RecordError("dossier: phải là một đối tượng JSON (tên trường theo Cổng DVC quốc gia)")
        given = dossier.get("MaHoSo")
        if given in (None, ""):
            dossier = {**dossier, "MaHoSo": code}
        elif given != code:
            raise RecordError("dossier.MaHoSo: khác dossier_code của sự kiện")
        try:
            record = national.record_from_national(dossier)
        except RecordError as exc:
            raise RecordError(f"dossier.{exc}") from exc
    return EventIn(
        event_id=event_id.strip(),
        dossier_code=code,
        status=status,
        occurred_at=occurred_at,
        step_started_at=started,
        step_due_at=due,
        dossier=record,
        **texts,
    )


_TIME = {"type": "string", "description": "ISO 8601 có múi giờ, hoặc yyyyMMddHHmmss giờ Việt Nam"}
EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "dossier_code", "status", "occurred_at"],
    "properties": {
        "id": {"type": "string", "maxLength": 80, "description": "mã sự kiện, duy nhất trong hệ thống gửi"},
        "dossier_code": {"type": "string", "maxLength": 60, "description": "mã hồ sơ (MaHoSo)"},
        "status": {"type": "integer", "minimum": 1, "maximum": 10, "description": "TrangThaiHoSo"},
        "occurred_at": _TIME,
        "step": {
            "type": "object",
            "properties": {
                "actor_name": {"type": "string", "description": "NguoiXuLy"},
                "actor_title": {"type": "string", "description": "ChucDanh"},
                "unit": {"type": "string", "description": "PhongBanXuLy"},
                "content": {"type": "string", "description": "NoiDungXuLy"},
                "started_at": _TIME,
                "due_at": _TIME,
            },
        },
        "dossier": {
            "type": "object",
            "description": "Hồ sơ theo tên trường của Cổng DVC quốc gia (MaHoSo, MaTTHC, TenTTHC, ChuHoSo, "
            "LoaiDoiTuong, MaDoiTuong, Email, SoDienThoai, TrichYeuHoSo, NgayTiepNhan, NgayHenTra, TrangThaiHoSo, "
            "NgayKetThucXuLy, NgayTra, HinhThuc, DonViXuLy, TaiLieuNop, DanhSachLePhi, DanhSachHoSoBoSung, "
            "DanhSachGiayToKetQua)",
            "additionalProperties": True,
        },
    },
}
REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["events"],
                "properties": {"events": {"type": "array", "items": EVENT_SCHEMA}},
            }
        }
    },
}
