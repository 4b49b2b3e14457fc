"""The national sync's field names and formats (DOMAIN.md), mapped to and from the portal's own, in one place.

Agency one-stop systems speak Vietnamese field names (`MaHoSo`, `TrangThaiHoSo`, `NgayHenTra` …) and dates as
`yyyyMMddHHmmss` in Asia/Ho_Chi_Minh; the rest of the portal never sees them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dichvucong.dossiers.deadlines import LOCAL

DATE_FORMAT = "%Y%m%d%H%M%S"


class RecordError(ValueError):
    """A field of a national record cannot be read; the message names the field, in Vietnamese."""


def format_time(moment: dt.datetime | None) -> str:
    return moment.astimezone(LOCAL).strftime(DATE_FORMAT) if moment else ""


def parse_time(value: Any, name: str) -> dt.datetime | None:
    """`yyyyMMddHHmmss` (local time) or ISO 8601 with an offset; empty means absent."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if text.isdigit() and len(text) == 14:
            return dt.datetime.strptime(text, DATE_FORMAT).replace(tzinfo=LOCAL)
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise RecordError(f"{name}: thời gian không đúng định dạng yyyyMMddHHmmss: {text[:40]}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL)
    return moment


def _int(value: Any, name: str, allowed: range) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise RecordError(f"{name}: phải là số nguyên") from exc
    if number not in allowed:
        raise RecordError(f"{name}: giá trị {number} không hợp lệ")
    return number


def _text(record: dict[str, Any], name: str, limit: int) -> str:
    value = record.get(name)
    if value is None:
        return ""
    text = str(value).strip()
    if len(text) > limit:
        raise RecordError(f"{name}: dài quá {limit} ký tự")
    return text


@dataclass(frozen=True)
class DossierRecord:
    """What an agency says about a dossier (DongBoHoSoMC, or `dossier` in a bulk event), in the portal's names.
    Fields left None/empty are not changed on an existing dossier."""

    code: str
    agency_code: str = ""
    procedure_code: str = ""
    procedure_name: str = ""
    field_name: str = ""
    applicant_name: str = ""
    applicant_kind: int | None = None
    applicant_id_number: str = ""
    applicant_email: str = ""
    applicant_phone: str = ""
    summary: str = ""
    channel: int | None = None
    status: int | None = None
    received_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    returned_at: dt.datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # documents, fees, supplements, results as sent

    def changes(self) -> dict[str, Any]:
        """The dossier columns this record sets."""
        values = {
            "procedure_code": self.procedure_code,
            "procedure_name": self.procedure_name,
            "field_name": self.field_name,
            "applicant_name": self.applicant_name,
            "applicant_kind": self.applicant_kind,
            "applicant_id_number": self.applicant_id_number,
            "applicant_email": self.applicant_email,
            "applicant_phone": self.applicant_phone,
            "summary": self.summary,
            "channel": self.channel,
        }
        return {k: v for k, v in values.items() if v not in (None, "")}


LIST_FIELDS = ("TaiLieuNop", "DanhSachLePhi", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua")


def record_from_national(data: dict[str, Any]) -> DossierRecord:
    """Read one dossier of `DongBoHoSoMC` (or a bulk event's `dossier`)."""
    if not isinstance(data, dict):
        raise RecordError("Hồ sơ phải là một đối tượng JSON")
    code = _text(data, "MaHoSo", 60)
    if not code:
        raise RecordError("MaHoSo: bắt buộc")
    extra = {name: data[name] for name in LIST_FIELDS if isinstance(data.get(name), list)}
    return DossierRecord(
        code=code,
        agency_code=_text(data, "DonViXuLy", 40),
        procedure_code=_text(data, "MaTTHC", 20),
        procedure_name=_text(data, "TenTTHC", 500),
        field_name=_text(data, "TenLinhVuc", 200),
        applicant_name=_text(data, "ChuHoSo", 300),
        applicant_kind=_int(data.get("LoaiDoiTuong"), "LoaiDoiTuong", range(1, 3)),
        applicant_id_number=_text(data, "MaDoiTuong", 20),
        applicant_email=_text(data, "Email", 254),
        applicant_phone=_text(data, "SoDienThoai", 20),
        summary=_text(data, "TrichYeuHoSo", 2000),
        channel=_int(data.get("HinhThuc"), "HinhThuc", range(1, 4)),
        status=_int(data.get("TrangThaiHoSo"), "TrangThaiHoSo", range(1, 11)),
        received_at=parse_time(data.get("NgayTiepNhan"), "NgayTiepNhan"),
        due_at=parse_time(data.get("NgayHenTra"), "NgayHenTra"),
        finished_at=parse_time(data.get("NgayKetThucXuLy"), "NgayKetThucXuLy"),
        returned_at=parse_time(data.get("NgayTra"), "NgayTra"),
        extra=extra,
    )


def record_time(record: DossierRecord) -> dt.datetime | None:
    """The time a record speaks for: the date of its status (returned, finished, received), so that a status
    derived from a record sorts with the events and replays give the same result."""
    if record.status == 10 and record.returned_at:
        return record.returned_at
    if record.status == 9 and record.finished_at:
        return record.finished_at
    return record.returned_at or record.finished_at or record.received_at


def dossier_to_national(dossier: Any, document_urls: dict[int, str] | None = None) -> dict[str, Any]:
    """A dossier in the national field names, as delivered to one-stop systems and answered by `TraCuuHoSo`.
    `document_urls` maps a DossierDocument id to a download address the receiver may use."""
    details = dossier.details or {}
    urls = document_urls or {}
    submitted = [d for d in dossier.documents.all() if d.kind == "submitted"]
    results = [d for d in dossier.documents.all() if d.kind == "result"]
    return {
        "MaHoSo": dossier.code,
        "MaTTHC": dossier.procedure_code,
        "TenTTHC": dossier.procedure_name,
        "TenLinhVuc": dossier.field_name,
        "ChuHoSo": dossier.applicant_name,
        "LoaiDoiTuong": dossier.applicant_kind,
        "MaDoiTuong": dossier.applicant_id_number,
        "Email": dossier.applicant_email,
        "SoDienThoai": dossier.applicant_phone,
        "TrichYeuHoSo": dossier.summary,
        "NgayTiepNhan": format_time(dossier.received_at or dossier.submitted_at),
        "NgayHenTra": format_time(dossier.due_at),
        "TrangThaiHoSo": dossier.status,
        "NgayTra": format_time(dossier.returned_at),
        "NgayKetThucXuLy": format_time(dossier.finished_at),
        "HinhThuc": dossier.channel,
        "DonViXuLy": dossier.agency.identification_code or dossier.agency.code,
        "TenDonViXuLy": dossier.agency.name,
        "TaiLieuNop": [
            {
                "TenTepDinhKem": d.name,
                "MaThanhPhanHoSo": d.slot,
                "DuongDanTaiTep": urls.get(d.id, ""),
                "KichThuoc": d.document.size,
                "LoaiTep": d.document.content_type,
            }
            for d in submitted
        ]
        or details.get("TaiLieuNop", []),
        "DanhSachLePhi": details.get("fees", details.get("DanhSachLePhi", [])),
        "DanhSachHoSoBoSung": details.get("DanhSachHoSoBoSung", []),
        "DanhSachGiayToKetQua": [{"TenGiayTo": d.name, "MaGiayTo": d.code} for d in results]
        or details.get("DanhSachGiayToKetQua", []),
        "DuLieuBieuMau": details.get("form", {}),
    }
