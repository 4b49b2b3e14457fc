"""The printable forms of a dossier from its rows: maps a dossier, its events, documents and apologies to the
plain data of `pdf.py` and returns PDF bytes (forms 01, 02, 03, 04 and 06 of Circular 03/2025/TT-VPCP).

Each function reads what it prints in a fixed, small number of queries (and none for what the caller already
loaded with `select_related`/`prefetch_related`): printing is a read, so this module is a selector.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from dichvucong.core.errors import NotFound
from dichvucong.dossiers import deadlines, pdf
from dichvucong.dossiers.models import (
    Apology,
    Channel,
    Dossier,
    DossierDocument,
    DossierEvent,
    Origin,
    Status,
)
from dichvucong.organisations.models import Agency, AgencyKind, AgencyLevel

FORMS = ("01", "02", "03", "04", "06")
TIME_UNITS = {"working_days": "ngày làm việc", "days": "ngày", "hours": "giờ làm việc", "months": "tháng"}
_COMMITTEE = "Ủy ban nhân dân "
_PROVINCE_PREFIXES = ("Thành phố ", "Tỉnh ")
_REASON_LINE = re.compile(r"^\s*lý do\s*:\s*", re.IGNORECASE)
_ITEM_MARK = re.compile(r"^\s*(?:[-–•*+]|\d+[.)])\s*")


# --- addresses -------------------------------------------------------------------------------------------------


def _portal_path(name: str, fallback: str, **kwargs: str) -> str:
    """A page of the portal, by URL name while the web app has it, else the path it is agreed to have."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return fallback


def tracking_url(dossier: Dossier) -> str:
    """The absolute address of the dossier's page on the portal (encoded in the receipt's QR code)."""
    path = _portal_path("web:dossier", f"/ho-so/{quote(dossier.code, safe='')}/", code=dossier.code)
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def form_url(dossier: Dossier, form: str) -> str:
    """The absolute address where the dossier's owner downloads one of its forms (the apology's link)."""
    fallback = f"/ho-so/{quote(dossier.code, safe='')}/mau/{form}/"
    path = _portal_path("web:dossier_form", fallback, code=dossier.code, form=form)
    return settings.PORTAL_BASE_URL.rstrip("/") + path


# --- the header every form shares ------------------------------------------------------------------------------


def _load_agency(dossiers: Iterable[Dossier]) -> None:
    # Skips what the caller already loaded (select_related or an earlier prefetch).
    prefetch_related_objects(list(dossiers), "agency__province", "agency__administrative_unit")


def _receiving_unit(agency: Agency) -> str:
    """The one-stop unit that receives and returns dossiers: since 1 July 2025 the People's Committees of
    provinces and communes have a Public Administration Service Centre (Decree 118/2025/NĐ-CP); other agencies
    a one-stop section."""
    if agency.kind == AgencyKind.PEOPLES_COMMITTEE and agency.name.startswith(_COMMITTEE):
        return "Trung tâm Phục vụ hành chính công " + agency.name.removeprefix(_COMMITTEE)
    return f"Bộ phận Một cửa – {agency.name}"


def _place_name(agency: Agency) -> str:
    """The place before the date line (Decree 30/2020/NĐ-CP): the commune for a commune's agency, the
    province's short name ("Hà Nội") for a province's; none for central agencies."""
    if agency.level == AgencyLevel.COMMUNE and agency.administrative_unit is not None:
        return agency.administrative_unit.name
    if agency.province is not None:
        name = agency.province.name
        for prefix in _PROVINCE_PREFIXES:
            name = name.removeprefix(prefix)
        return name
    return ""


def _header(dossier: Dossier, *, appointment: Any = None) -> pdf.DossierHeader:
    agency = dossier.agency
    details = dossier.details or {}
    return pdf.DossierHeader(
        code=dossier.code,
        procedure_code=dossier.procedure_code,
        procedure_name=dossier.procedure_name,
        agency_name=agency.name,
        receiving_unit=_receiving_unit(agency),
        applicant=pdf.Party(
            name=dossier.applicant_name,
            id_number=dossier.applicant_id_number,
            address=str(details.get("address") or ""),
            phone=dossier.applicant_phone,
            email=dossier.applicant_email,
        ),
        received_at=dossier.received_at or dossier.submitted_at,
        appointment_at=appointment if appointment is not None else dossier.due_at,
        channel=dossier.channel,
        place_name=_place_name(agency),
    )


# --- form 01 ---------------------------------------------------------------------------------------------------


def _count(value: Any) -> int:
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        return 0


def _national_documents(items: Any) -> tuple[pdf.DocumentLine, ...]:
    """`TaiLieuNop` as a one-stop system sent it: a file (name and download address) or a paper document with
    its numbers of originals and copies."""
    lines = []
    for position, item in enumerate(items if isinstance(items, list) else [], start=1):
        if not isinstance(item, dict):
            continue
        name = str(
            item.get("TenGiayTo") or item.get("TenThanhPhanHoSo") or item.get("TenTepDinhKem") or ""
        ) or _("Giấy tờ %(n)d") % {"n": position}
        originals, copies = _count(item.get("SoBanChinh")), _count(item.get("SoBanSao"))
        electronic = bool(item.get("DuongDanTaiTep")) or not (originals or copies)
        lines.append(pdf.DocumentLine(name=name, originals=originals, copies=copies, electronic=electronic))
    return tuple(lines)


def _number(value: Any) -> str:
    number = float(value)
    if number.is_integer():
        return f"{int(number):02d}"
    return f"{number:g}".replace(".", ",")


def time_limit_text(details: dict[str, Any]) -> str:
    """ "05 ngày làm việc" from the time limit kept at submission; the published text when it has one."""
    limit = details.get("time_limit")
    if not isinstance(limit, dict):
        return ""
    text = str(limit.get("text") or "")
    value = limit.get("value")
    try:
        amount = f"{_number(value)} {TIME_UNITS.get(str(limit.get('unit') or ''), 'ngày làm việc')}"
    except (TypeError, ValueError):
        return text
    return f"{amount} ({text})" if text else amount


def _result_delivery(dossier: Dossier, unit: str) -> str:
    chosen = (dossier.details or {}).get("result_delivery")
    if chosen:
        return str(chosen)
    if dossier.channel == Channel.ONLINE:
        return "Trực tuyến, trong tài khoản của người nộp trên Cổng Dịch vụ công quốc gia"
    if dossier.channel == Channel.POST:
        address = str((dossier.details or {}).get("address") or "")
        return "Qua dịch vụ bưu chính công ích" + (f", địa chỉ: {address}" if address else "")
    return unit


def receipt_data(dossier: Dossier) -> pdf.ReceiptData:
    _load_agency([dossier])
    details = dossier.details or {}
    if dossier.origin == Origin.AGENCY:
        documents = _national_documents(details.get("TaiLieuNop"))
    else:
        prefetch_related_objects([dossier], "documents")
        documents = tuple(
            pdf.DocumentLine(name=d.name, electronic=True)
            for d in sorted(dossier.documents.all(), key=lambda d: d.pk)
            if d.kind == DossierDocument.Kind.SUBMITTED
        )
    accepted = (
        DossierEvent.objects.filter(dossier=dossier, status=Status.ACCEPTED)
        .order_by("occurred_at", "event_id")
        .values_list("actor_name", flat=True)
        .first()
    )
    header = _header(dossier, appointment=dossier.original_due_at or dossier.due_at)
    return pdf.ReceiptData(
        dossier=header,
        documents=documents,
        time_limit_text=time_limit_text(details),
        result_delivery=_result_delivery(dossier, header.receiving_unit),
        tracking_url=tracking_url(dossier),
        officer_name=accepted or "",
    )


def receipt_pdf(dossier: Dossier) -> bytes:
    """Mẫu số 01: the receipt and appointment, with the QR code of the dossier's page."""
    return pdf.receipt_pdf(receipt_data(dossier))


# --- forms 02 and 03 -------------------------------------------------------------------------------------------


def _latest_event(dossier: Dossier, status: int) -> DossierEvent | None:
    return (
        DossierEvent.objects.filter(dossier=dossier, status=status)
        .order_by("-occurred_at", "-event_id")
        .first()
    )


def _items_and_reason(content: str) -> tuple[tuple[str, ...], str]:
    """The documents asked for, one per line of the event's content (list marks dropped); a line "Lý do: …"
    is the reason."""
    items: list[str] = []
    reasons: list[str] = []
    for line in content.splitlines():
        if _REASON_LINE.match(line):
            reasons.append(_REASON_LINE.sub("", line).strip())
            continue
        item = _ITEM_MARK.sub("", line).strip()
        if item:
            items.append(item)
    return tuple(items), " ".join(r for r in reasons if r)


def supplement_request_data(dossier: Dossier) -> pdf.SupplementRequestData:
    event = _latest_event(dossier, Status.SUPPLEMENT_REQUESTED)
    if event is None:
        raise NotFound(_("Hồ sơ %(code)s chưa có yêu cầu bổ sung.") % {"code": dossier.code})
    _load_agency([dossier])
    items, reason = _items_and_reason(event.content)
    return pdf.SupplementRequestData(
        dossier=_header(dossier),
        requested_at=event.occurred_at,
        items=items,
        reason=reason,
        officer_name=event.actor_name,
        officer_title=event.actor_title,
        officer_phone=dossier.agency.phone,
    )


def supplement_request_pdf(dossier: Dossier) -> bytes:
    """Mẫu số 02, from the latest request to supplement (status 5): its content, one item per line."""
    return pdf.supplement_request_pdf(supplement_request_data(dossier))


def refusal_data(dossier: Dossier) -> pdf.RefusalData:
    event = _latest_event(dossier, Status.REFUSED)
    if event is None:
        raise NotFound(_("Hồ sơ %(code)s không bị từ chối tiếp nhận.") % {"code": dossier.code})
    _load_agency([dossier])
    return pdf.RefusalData(
        dossier=_header(dossier),
        refused_at=event.occurred_at,
        reason=event.content,
        officer_name=event.actor_name,
    )


def refusal_pdf(dossier: Dossier) -> bytes:
    """Mẫu số 03, from the latest refusal (status 3): its content is the reason."""
    return pdf.refusal_pdf(refusal_data(dossier))


# --- form 04 ---------------------------------------------------------------------------------------------------


def apology_data(apology: Apology) -> pdf.ApologyData:
    prefetch_related_objects([apology], "dossier")
    _load_agency([apology.dossier])
    return pdf.ApologyData(
        dossier=_header(apology.dossier),
        issued_at=apology.created_at,
        reason=apology.reason,
        old_appointment_at=apology.old_due_at,
        new_appointment_at=apology.new_due_at,
        signer_name=apology.signer_name,
        signer_title=apology.signer_title,
    )


def apology_pdf(apology: Apology) -> bytes:
    """Mẫu số 04: the apology for a late result and the new appointment."""
    return pdf.apology_pdf(apology_data(apology))


def latest_apology(dossier: Dossier) -> Apology:
    apology = Apology.objects.filter(dossier=dossier).order_by("-created_at", "-id").first()
    if apology is None:
        raise NotFound(_("Hồ sơ %(code)s chưa có văn bản xin lỗi.") % {"code": dossier.code})
    apology.dossier = dossier
    return apology


# --- form 06 ---------------------------------------------------------------------------------------------------


def control_steps(events: Iterable[DossierEvent]) -> tuple[pdf.ControlStep, ...]:
    """The hand-offs of a dossier from its events in time order: each event after the first hands the dossier
    from the previous event's unit to its own; the step is due at the event's step deadline and done when the
    next event happens. Outcomes are judged as the statistics judge them (`deadlines.outcome`)."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.event_id))
    steps = []
    for index in range(1, len(ordered)):
        previous, event = ordered[index - 1], ordered[index]
        finished = ordered[index + 1].occurred_at if index + 1 < len(ordered) else None
        steps.append(
            pdf.ControlStep(
                from_unit=previous.unit,
                to_unit=event.unit,
                handed_at=event.occurred_at,
                due_at=event.step_due_at,
                finished_at=finished,
                outcome=deadlines.outcome(finished, event.step_due_at),
                note=event.content,
                handed_by=previous.actor_name,
                received_by=event.actor_name,
            )
        )
    return tuple(steps)


def control_sheet_data(dossier: Dossier) -> pdf.ControlSheetData:
    _load_agency([dossier])
    prefetch_related_objects([dossier], "events")
    return pdf.ControlSheetData(dossier=_header(dossier), steps=control_steps(dossier.events.all()))


def control_sheet_pdf(dossier: Dossier) -> bytes:
    """Mẫu số 06: the processing control sheet, one row per hand-off between units."""
    return pdf.control_sheet_pdf(control_sheet_data(dossier))


def form_pdf(dossier: Dossier, form: str) -> bytes:
    """One form of a dossier by its number ("01", "02", "03", "04", "06"); NotFound when the dossier has no
    such form (no supplement request, refusal or apology)."""
    if form == "01":
        return receipt_pdf(dossier)
    if form == "02":
        return supplement_request_pdf(dossier)
    if form == "03":
        return refusal_pdf(dossier)
    if form == "04":
        return apology_pdf(latest_apology(dossier))
    if form == "06":
        return control_sheet_pdf(dossier)
    raise NotFound(_("Không có mẫu số %(form)s cho hồ sơ.") % {"form": form[:4]})
