"""The officer's home in the back office (Tổng quan đơn vị), shown at the top of the admin index: for the agencies
in the officer's scope, their catalogue entries by review state, their dossiers and feedback to work on, and
their agency's published figures and index this year; operators see the same for the whole country.

Every number links to the back-office list it counts (filtered), and every count reads an index: procedures by
(managing agency, status), dossiers by (agency, status) or the partial index of open dossiers, feedback by
(agency, status, due date) or (status, due date), the figures by (scope, month, metric). Nothing here scans the
dossiers: "resolved this month" is the roll-up's figure (`stats`), a few seconds behind the dossiers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from dichvucong.catalogue import review
from dichvucong.catalogue import selectors as catalogue
from dichvucong.catalogue.models import Procedure, ProcedureStatus
from dichvucong.core.scope import AgencyScope
from dichvucong.dossiers import selectors as dossiers
from dichvucong.dossiers.models import OPEN_STATUSES
from dichvucong.feedback import selectors as feedback
from dichvucong.feedback import states as feedback_states
from dichvucong.feedback.models import Status as FeedbackStatus
from dichvucong.stats import selectors as stats
from dichvucong.web.stats_charts import decimal, number, percent


@dataclass(frozen=True)
class Tile:
    """One count: its label, value, the filtered list it links to ("" when the person may not open it) and
    whether it asks for attention (overdue, waiting)."""

    label: str
    value: int
    url: str = ""
    alert: bool = False


@dataclass(frozen=True)
class Section:
    title: str
    tiles: list[Tile]
    note: str = ""


@dataclass(frozen=True)
class Overview:
    title: str
    sections: list[Section]
    awaiting: list[tuple[Procedure, str]] = field(default_factory=list)  # versions in review, with their link
    figures_title: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)  # (label, value as shown)
    figures_url: str = ""


def _admin_list(name: str, **params: Any) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _link(user: Any, permission: str, name: str, **params: Any) -> str:
    return _admin_list(name, **params) if user.has_perm(permission) else ""


def _month_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _catalogue(user: Any, scope: AgencyScope) -> Section:
    counts = catalogue.counts_in_scope(scope)
    permission = "catalogue.view_procedure"
    name = "catalogue_procedure"
    return Section(
        gettext("Thủ tục hành chính"),
        [
            Tile(
                gettext("Bản nháp"),
                counts[ProcedureStatus.DRAFT],
                _link(user, permission, name, status__exact=ProcedureStatus.DRAFT),
            ),
            Tile(
                gettext("Chờ duyệt"),
                counts[ProcedureStatus.IN_REVIEW],
                _link(user, permission, name, status__exact=ProcedureStatus.IN_REVIEW),
                alert=counts[ProcedureStatus.IN_REVIEW] > 0 and user.has_perm(review.PUBLISH_PERMISSION),
            ),
            Tile(
                gettext("Đang áp dụng"),
                counts[ProcedureStatus.PUBLISHED],
                _link(user, permission, name, status__exact=ProcedureStatus.PUBLISHED),
            ),
        ],
    )


def _dossiers(user: Any, scope: AgencyScope, now: dt.datetime) -> Section:
    counts = dossiers.dossier_counts(scope, now=now)
    month_start = _month_start(now)
    permission = "dossiers.view_dossier"
    name = "dossiers_dossier"
    open_statuses = ",".join(str(s) for s in OPEN_STATUSES)
    return Section(
        gettext("Hồ sơ"),
        [
            Tile(
                gettext("Đang giải quyết"),
                counts["open"],
                _link(user, permission, name, status__in=open_statuses),
            ),
            Tile(
                gettext("Quá hạn"),
                counts["overdue"],
                _link(
                    user,
                    permission,
                    name,
                    status__in=open_statuses,
                    due_at__lt=now.replace(microsecond=0).isoformat(),
                ),
                alert=counts["overdue"] > 0,
            ),
            Tile(
                gettext("Đã giải quyết trong tháng"),
                stats.metric_in_month(
                    stats.scopes_of_agencies(scope.agency_ids, everything=scope.is_everything),
                    month_start.date(),
                    "resolved",
                ),
                _link(user, permission, name, finished_at__gte=month_start.isoformat()),
            ),
        ],
        note=gettext(
            "Số đã giải quyết trong tháng lấy từ số liệu thống kê, cập nhật sau vài giây đến vài phút."
        ),
    )


def _feedback(user: Any, scope: AgencyScope, now: dt.datetime) -> Section:
    counts = feedback.feedback_counts(scope, now=now)
    permission = "feedback.view_feedback"
    name = "feedback_feedback"
    tiles = []
    if scope.is_everything:
        triage = ",".join(sorted(feedback_states.TRIAGE))
        tiles.append(
            Tile(
                gettext("Chờ phân loại"),
                counts["triage"],
                _link(user, permission, name, status__in=triage),
                alert=counts["triage"] > 0,
            )
        )
    tiles += [
        Tile(
            gettext("Cần xử lý"),
            counts["handling"],
            _link(user, permission, name, status__exact=FeedbackStatus.HANDLING),
        ),
        Tile(
            gettext("Quá hạn"),
            counts["overdue"],
            _link(user, permission, name, qua_han="1"),
            alert=counts["overdue"] > 0,
        ),
    ]
    return Section(gettext("Phản ánh, kiến nghị"), tiles)


def _figures(summary: stats.Summary) -> list[tuple[str, str]]:
    """A few of the unit's published figures, labelled and written as on the statistics pages."""
    labels, derived_labels, derived = stats.metric_labels(), stats.derived_labels(), summary.derived
    index = summary.index.total
    return [
        (labels["received"], number(summary.get("received"))),
        (labels["resolved"], number(summary.get("resolved"))),
        # Shorter than the pages' label (which adds "including early"): the home's caption, as its tests read it.
        (gettext("Tỷ lệ giải quyết đúng hạn"), percent(derived.get("on_time_rate"))),
        (derived_labels["online_rate"], percent(derived.get("online_rate"))),
        (derived_labels["feedback_on_time_rate"], percent(derived.get("feedback_on_time_rate"))),
        (derived_labels["satisfaction_average"], decimal(derived.get("satisfaction_average"))),
        (
            gettext("Chỉ số phục vụ người dân, doanh nghiệp"),
            "—" if index is None else f"{decimal(index)} / 100 ({summary.index.classification})",
        ),
    ]


def overview(user: Any, scope: AgencyScope, *, now: dt.datetime | None = None) -> Overview | None:
    """The home of `user` (an officer: their agency and the agencies under it; an operator: the country), or
    None for someone with no agency and no national view."""
    now = now or timezone.now()
    agency = getattr(user, "agency", None)
    if scope.is_everything:
        title = gettext("Tổng quan toàn quốc")
        unit = stats.national_unit()
    elif agency is not None and scope.agency_ids:
        title = gettext("Tổng quan đơn vị: %(agency)s") % {"agency": agency.name}
        unit = stats.agency_unit(agency)
    else:
        return None
    sections = []
    awaiting: list[tuple[Procedure, str]] = []
    if user.has_perm("catalogue.view_procedure"):
        sections.append(_catalogue(user, scope))
        awaiting = [
            (procedure, reverse("admin:catalogue_procedure_change", args=[procedure.pk]))
            for procedure in catalogue.awaiting_review(scope)
        ]
    if user.has_perm("dossiers.view_dossier") or scope.is_everything:
        sections.append(_dossiers(user, scope, now))
    if user.has_perm("feedback.view_feedback"):
        sections.append(_feedback(user, scope, now))
    span = stats.period(str(timezone.localtime(now).year))
    figures = _figures(stats.summary(unit, span))
    figures_title = gettext("Số liệu %(period)s — %(unit)s") % {"period": span.label, "unit": unit.name}
    figures_url = reverse("web:stats_unit", args=[unit.slug]) if unit.slug else reverse("web:stats")
    return Overview(title, sections, awaiting, figures_title, figures, figures_url)
