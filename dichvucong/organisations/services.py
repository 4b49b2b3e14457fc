"""Writes to the register of agencies and administrative units."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from vietnam_provinces import Province, Ward

from dichvucong.core import audit
from dichvucong.core.errors import DomainError, NotFound
from dichvucong.core.text import fold

from .models import AdministrativeUnit, Agency, AgencyKind, AgencyLevel, CalendarException, UnitLevel
from .register import CENTRAL_AGENCIES, PROVINCIAL_BRANCHES


@dataclass(frozen=True)
class SyncReport:
    units: int
    agencies: int


def province_code(value: int) -> str:
    return f"{value:02d}"


def commune_code(value: int) -> str:
    return f"{value:05d}"


def _english_province_name(name: str) -> str:
    folded_name = fold(name)
    for prefix in ("thanh pho ", "tinh "):
        if folded_name.startswith(prefix):
            base = name[len(prefix) :]
            return f"{base} City" if prefix == "thanh pho " else f"{base} Province"
    return name


def _short_province_name(name: str) -> str:
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


@transaction.atomic
def sync_register() -> SyncReport:
    """Load or refresh the administrative units and the register of agencies. Safe to run again: rows are
    matched by code, updated in place, and nothing an operator added is deleted."""
    units = _sync_units()
    agencies = _sync_agencies()
    return SyncReport(units=units, agencies=agencies)


def _upsert(model: Any, rows: list[dict[str, Any]]) -> None:
    existing = set(model.objects.filter(code__in=[r["code"] for r in rows]).values_list("code", flat=True))
    new = [model(**r) for r in rows if r["code"] not in existing]
    model.objects.bulk_create(new, batch_size=500)
    changed = [r for r in rows if r["code"] in existing]
    if changed:
        by_code = {o.code: o for o in model.objects.filter(code__in=[r["code"] for r in changed])}
        fields = [k for k in changed[0] if k != "code"]
        objs = []
        for row in changed:
            obj = by_code[str(row["code"])]
            for key in fields:
                setattr(obj, key, row[key])
            objs.append(obj)
        model.objects.bulk_update(objs, fields, batch_size=500)


def _sync_units() -> int:
    provinces = list(Province.iter_all())
    _upsert(
        AdministrativeUnit,
        [
            {
                "code": province_code(int(p.code)),
                "name": p.name,
                "name_folded": fold(p.name),
                "level": UnitLevel.PROVINCE,
                "division_type": str(p.division_type.value),
                "codename": p.codename,
                "parent": None,
            }
            for p in provinces
        ],
    )
    parents = {u.code: u for u in AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE)}
    wards = list(Ward.iter_all())
    _upsert(
        AdministrativeUnit,
        [
            {
                "code": commune_code(int(w.code)),
                "name": w.name,
                "name_folded": fold(w.name),
                "level": UnitLevel.COMMUNE,
                "division_type": str(w.division_type.value),
                "codename": w.codename,
                "parent": parents[province_code(int(w.province_code))],
            }
            for w in wards
        ],
    )
    return len(provinces) + len(wards)


def _agency_row(**values: object) -> dict[str, object]:
    values.setdefault("name_en", "")
    values.setdefault("short_name", "")
    values.setdefault("sector", "")
    values.setdefault("website", "")
    values.setdefault("parent", None)
    values.setdefault("administrative_unit", None)
    values.setdefault("province", None)
    values["name_folded"] = fold(str(values["name"]))
    return values


def _sync_agencies() -> int:
    central = [
        _agency_row(
            code=a.code,
            name=a.name,
            name_en=a.name_en,
            short_name=a.code,
            level=AgencyLevel.CENTRAL,
            kind=a.kind,
            website=a.website,
        )
        for a in CENTRAL_AGENCIES
    ]
    _upsert(Agency, central)
    by_code = {a.code: a for a in Agency.objects.filter(level=AgencyLevel.CENTRAL)}
    for spec in CENTRAL_AGENCIES:
        parent = by_code[spec.parent] if spec.parent else None
        if by_code[spec.code].parent_id != (parent.pk if parent else None):
            Agency.objects.filter(pk=by_code[spec.code].pk).update(parent=parent)

    provinces = list(AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE))
    provincial: list[dict[str, object]] = []
    for unit in provinces:
        short = _short_province_name(unit.name)
        provincial.append(
            _agency_row(
                code=f"UBND-{unit.code}",
                name=f"Ủy ban nhân dân {unit.name.replace('Thành phố', 'thành phố').replace('Tỉnh', 'tỉnh')}",
                name_en=f"People's Committee of {_english_province_name(unit.name)}",
                short_name=short,
                level=AgencyLevel.PROVINCE,
                kind=AgencyKind.PEOPLES_COMMITTEE,
                administrative_unit=unit,
                province=unit,
            )
        )
        for prefix, pattern, pattern_en, sector, central_parent in PROVINCIAL_BRANCHES:
            local_name = unit.name.replace("Thành phố", "thành phố").replace("Tỉnh", "tỉnh")
            provincial.append(
                _agency_row(
                    code=f"{prefix}-{unit.code}",
                    name=pattern.format(name=local_name),
                    name_en=pattern_en.format(name_en=_english_province_name(unit.name)),
                    short_name=f"{prefix} {short}",
                    level=AgencyLevel.PROVINCE,
                    kind=AgencyKind.SECTORAL_BRANCH,
                    sector=sector,
                    parent=by_code[central_parent],
                    administrative_unit=unit,
                    province=unit,
                )
            )
    _upsert(Agency, provincial)

    committees = {
        a.province_id: a for a in Agency.objects.filter(kind=AgencyKind.PEOPLES_COMMITTEE, level="province")
    }
    communes = AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE).select_related("parent")
    commune_rows = []
    for unit in communes:
        assert unit.parent is not None
        commune_rows.append(
            _agency_row(
                code=f"UBND-{unit.code}",
                name=f"Ủy ban nhân dân {unit.name[0].lower()}{unit.name[1:]}",
                name_en=f"People's Committee of {unit.name}",
                level=AgencyLevel.COMMUNE,
                kind=AgencyKind.PEOPLES_COMMITTEE,
                parent=committees[unit.parent_id],
                administrative_unit=unit,
                province=unit.parent,
            )
        )
    _upsert(Agency, commune_rows)
    return len(central) + len(provincial) + len(commune_rows)


# --- changes by an agency's officers (audited) -----------------------------------------------------------------


def update_agency_contacts(
    *, agency: Agency, actor: Any, request: Any = None, changes: dict[str, Any]
) -> Agency:
    """Contacts and office hours of an agency (the times its deadlines are computed with)."""
    allowed = {
        "address", "phone", "email", "website", "morning_start", "morning_end", "afternoon_start",
        "afternoon_end", "receipt_cutoff", "works_saturday_morning",
    }  # fmt: skip
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(f"Không sửa được các trường: {', '.join(sorted(unknown))}.")
    before = {name: str(getattr(agency, name)) for name in changes}
    for name, value in changes.items():
        setattr(agency, name, value)
    if agency.morning_start >= agency.morning_end or agency.afternoon_start >= agency.afternoon_end:
        raise DomainError("Giờ làm việc không hợp lệ: giờ bắt đầu phải trước giờ kết thúc.")
    with transaction.atomic():
        agency.save(update_fields=sorted(changes))
        audit.record(
            "agency.updated",
            actor=actor,
            request=request,
            target=agency,
            detail={"before": before, "after": {n: str(getattr(agency, n)) for n in changes}},
        )
    return agency


def set_calendar_exception(
    *, agency: Agency, actor: Any, request: Any = None, date: dt.date, is_working_day: bool, reason: str
) -> CalendarException:
    """A day off (or a working day on a weekend) of one agency, e.g. a provincial holiday."""
    if not reason.strip():
        raise DomainError("Vui lòng nêu lý do.")
    with transaction.atomic():
        exception, _created = CalendarException.objects.update_or_create(
            agency=agency, date=date, defaults={"is_working_day": is_working_day, "reason": reason.strip()}
        )
        audit.record(
            "agency.calendar_set",
            actor=actor,
            request=request,
            target=agency,
            detail={"date": date.isoformat(), "is_working_day": is_working_day, "reason": reason.strip()},
        )
    return exception


def remove_calendar_exception(*, agency: Agency, actor: Any, request: Any = None, date: dt.date) -> None:
    with transaction.atomic():
        deleted, _by_model = CalendarException.objects.filter(agency=agency, date=date).delete()
        if not deleted:
            raise NotFound("Không có ngày ngoại lệ này.")
        audit.record(
            "agency.calendar_removed",
            actor=actor,
            request=request,
            target=agency,
            detail={"date": date.isoformat()},
        )
