"""What the feedback pages show: the form with its choices and the agencies the portal suggests, a feedback as
its sender sees it (everything) or as anyone else sees a published one (only the texts written for the public),
the published answers and the sender's own list. Assembled from the feedback selectors; the templates only
display. The form's own values and parsing are in `feedback_forms`.

A stranger's page is built from `PublicFeedback`, which holds nothing but public texts, so that no template
change can show a sender's name, phone, content or files to someone else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Page, Paginator
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dichvucong.accounts.models import User
from dichvucong.catalogue import search as catalogue_search
from dichvucong.catalogue import selectors as catalogue
from dichvucong.core.errors import NotFound
from dichvucong.core.text import fold
from dichvucong.dossiers import attachments as dossier_attachments
from dichvucong.feedback import selectors, states
from dichvucong.feedback.models import (
    Feedback,
    FeedbackAttachment,
    FeedbackEvent,
    FeedbackRating,
    Kind,
    Satisfaction,
    SenderKind,
    Status,
    Topic,
)
from dichvucong.organisations import selectors as organisations
from dichvucong.organisations.models import AdministrativeUnit

from . import feedback_forms as forms

PAGE_SIZE: Final = 20
# The published list counts at most this many rows (a count of every published answer would grow without
# bound); past it, the page says "more than" and the search narrows the list.
LIST_MAX_ROWS: Final = 2_000

TOPIC_HELP: Final[dict[str, Promise]] = {
    Topic.PROCEDURE: gettext_lazy(
        "Hồ sơ bị chậm, bị đòi thêm giấy tờ không có trong quy định, thủ tục khó làm hoặc làm không đúng."
    ),
    Topic.REGULATION: gettext_lazy(
        "Một quy định, chính sách không phù hợp với thực tế, chồng chéo, trái luật hoặc khó thực hiện."
    ),
    Topic.OFFICIAL: gettext_lazy(
        "Cán bộ, công chức chậm trễ, gây phiền hà, sách nhiễu hoặc có thái độ không đúng mực."
    ),
    Topic.INITIATIVE: gettext_lazy(
        "Bạn có ý tưởng, cách làm mới để thủ tục, quy định hoặc việc phục vụ người dân tốt hơn."
    ),
}
STATUS_CLASSES: Final[dict[str, str]] = {
    Status.RECEIVED: "status-open",
    Status.ACCEPTED: "status-open",
    Status.HANDLING: "status-open",
    Status.ANSWERED: "status-done",
    Status.PUBLISHED: "status-done",
    Status.REFUSED: "status-attention",
    Status.MERGED: "status-attention",
}


def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "status-open")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool = False
    help: str = ""


# --- the form -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcedureFound:
    code: str
    name: str


def find_procedure(text: str) -> ProcedureFound | None:
    """The published procedure a sender named: by its code (alone or with the name), or by its exact name
    (with or without diacritics) among the search's first hits. None when nothing matches for sure: the page
    asks the sender to choose among the suggestions rather than guess."""
    text = " ".join(text.split())
    if not text:
        return None
    code = forms.procedure_code_in(text)
    if code:
        found = catalogue.procedures_by_codes([code])
        return ProcedureFound(code=code, name=found[0].name) if found else None
    wanted = fold(text)
    filters = catalogue_search.Filters(kind="procedure", include_superseded=False)
    for hit in catalogue_search.search(text, filters, limit=5).items:
        if fold(hit.title) == wanted:
            return ProcedureFound(code=hit.code, name=hit.title)
    return None


def procedure_suggestions(text: str) -> list[ProcedureFound]:
    """Procedures whose name or code matches what is typed, for the procedure input's list."""
    text = text.strip()[:200]
    if len(text) < 2:
        return []
    filters = catalogue_search.Filters(kind="procedure", include_superseded=False)
    return [
        ProcedureFound(code=hit.code, name=hit.title)
        for hit in catalogue_search.search(text, filters, limit=8).items
    ]


@dataclass(frozen=True)
class AgencyChoices:
    """The agencies the portal suggests for what the sender told so far, and "Tôi không biết"."""

    procedure: ProcedureFound | None
    procedure_typed: str  # typed but not found
    agencies: list[Choice]
    none_checked: bool
    asked: bool  # a procedure, field or place was given (otherwise the page says what helps)


def agency_choices(values: Mapping[str, str]) -> AgencyChoices:
    typed = values.get("procedure_code", "")
    procedure = find_procedure(typed) if typed else None
    unit_code = values.get("unit_code", "") or values.get(forms.PROVINCE, "")
    field_slug = values.get("field", "")
    suggested = selectors.suggest_agencies(
        procedure_code=procedure.code if procedure else "", field_slug=field_slug, unit_code=unit_code
    )
    chosen = values.get("agency_code", "")
    agencies = list(suggested)
    if chosen and chosen not in {a.code for a in agencies}:
        try:  # the agency of the sender's dossier, or one chosen before the suggestions changed
            agencies.insert(0, organisations.agency_get(chosen))
        except NotFound:
            chosen = ""
    return AgencyChoices(
        procedure=procedure,
        procedure_typed=typed if typed and procedure is None else "",
        agencies=[Choice(value=a.code, label=a.name, checked=a.code == chosen) for a in agencies],
        none_checked=not chosen,
        asked=bool(procedure or field_slug or unit_code),
    )


@dataclass(frozen=True)
class NewPage:
    form: forms.FeedbackForm
    topics: list[Choice]
    kinds: list[Choice]
    sender_kinds: list[Choice]
    fields: list[Choice]
    provinces: list[AdministrativeUnit]
    communes: list[AdministrativeUnit]
    province: str
    agencies: AgencyChoices
    accepted_types: str
    max_file_mb: str
    max_attachments: int
    signed_in: bool
    dossier_code: str = ""  # the sender's dossier the form was opened from


def new_page(form: forms.FeedbackForm, *, signed_in: bool, dossier_code: str = "") -> NewPage:
    values = form.values
    province = values.get(forms.PROVINCE, "")
    return NewPage(
        form=form,
        topics=[
            Choice(
                value=t.value,
                label=str(t.label),
                checked=values.get("topic") == t.value,
                help=str(TOPIC_HELP[t]),
            )
            for t in Topic
        ],
        kinds=[
            Choice(value=k.value, label=str(k.label), checked=values.get("kind") == k.value) for k in Kind
        ],
        sender_kinds=[
            Choice(
                value=k.value,
                label=str(k.label),
                checked=(values.get("sender_kind") or SenderKind.CITIZEN) == k.value,
            )
            for k in SenderKind
        ],
        fields=[
            Choice(value=f.slug, label=f.name, checked=values.get("field") == f.slug)
            for f in catalogue.field_list().only("slug", "name")
        ],
        provinces=list(organisations.province_list()),
        communes=list(organisations.unit_list(parent=province)) if province else [],
        province=province,
        agencies=agency_choices(values),
        accepted_types=dossier_attachments.accepted_type_names(),
        max_file_mb=dossier_attachments.megabytes(settings.DOSSIER_MAX_FILE_BYTES),
        max_attachments=settings.FEEDBACK_MAX_ATTACHMENTS,
        signed_in=signed_in,
        dossier_code=dossier_code,
    )


# --- a feedback ---------------------------------------------------------------------------------------------


def rating_of(feedback: Feedback) -> FeedbackRating | None:
    try:
        return feedback.rating
    except ObjectDoesNotExist:
        return None


@dataclass(frozen=True)
class RatingForm:
    satisfaction: str = ""
    comment: str = ""
    error: str = ""


@dataclass(frozen=True)
class SenderPage:
    """Everything about the sender's own feedback."""

    feedback: Feedback
    status_class: str
    overdue: bool
    deadline: dt.datetime | None  # the answer's due date once forwarded, before that the forwarding's
    deadline_label: str
    place: str
    procedure_name: str
    attachments: list[FeedbackAttachment]
    events: list[FeedbackEvent]
    rating: FeedbackRating | None
    can_rate: bool
    satisfactions: list[Choice]
    rating_form: RatingForm
    just_sent: bool
    open: bool  # still waiting for an answer
    forward_days: int
    handling_days: int


def place_name(unit: AdministrativeUnit | None) -> str:
    if unit is None:
        return ""
    if unit.parent_id and unit.parent is not None:
        return f"{unit.name}, {unit.parent.name}"
    return unit.name


def sender_page(
    feedback: Feedback, *, just_sent: bool = False, rating_form: RatingForm | None = None
) -> SenderPage:
    rating = rating_of(feedback)
    rating_form = rating_form or RatingForm(
        satisfaction=rating.satisfaction if rating else "", comment=rating.comment if rating else ""
    )
    forwarded = feedback.agency_id is not None and feedback.due_at is not None
    is_open = feedback.status in states.OPEN
    procedure = catalogue.procedures_by_codes([feedback.procedure_code]) if feedback.procedure_code else []
    return SenderPage(
        feedback=feedback,
        status_class=status_class(feedback.status),
        overdue=is_open and selectors.is_overdue(feedback),
        deadline=(feedback.due_at if forwarded else feedback.forward_due_at) if is_open else None,
        deadline_label=_("Hạn trả lời") if forwarded else _("Hạn chuyển đến cơ quan có thẩm quyền"),
        place=place_name(feedback.unit),
        procedure_name=procedure[0].name if procedure else "",
        attachments=list(feedback.attachments.order_by("id")),
        events=list(selectors.timeline(feedback, public=True).select_related("to_agency", "from_agency")),
        rating=rating,
        can_rate=feedback.status in states.ANSWERED,
        satisfactions=[
            Choice(value=s.value, label=str(s.label), checked=rating_form.satisfaction == s.value)
            for s in Satisfaction
        ],
        rating_form=rating_form,
        just_sent=just_sent,
        open=is_open,
        forward_days=settings.FEEDBACK_FORWARD_WORKING_DAYS,
        handling_days=settings.FEEDBACK_HANDLING_WORKING_DAYS,
    )


@dataclass(frozen=True)
class PublicFeedback:
    """What anyone may read of a published feedback: the texts the officer wrote for the public (checked by the
    portal for personal data), the agency, the dates and how satisfied the sender was. Nothing else."""

    code: str
    title: str
    content: str
    answer: str
    topic: str
    kind: str
    agency_name: str
    received_at: dt.datetime
    answered_at: dt.datetime | None
    published_at: dt.datetime | None
    satisfaction: str  # the sender's rating, "" when not rated
    satisfaction_class: str


SATISFACTION_CLASSES: Final[dict[str, str]] = {
    Satisfaction.VERY_SATISFIED: "status-done",
    Satisfaction.SATISFIED: "status-done",
    Satisfaction.NOT_SATISFIED: "status-attention",
}


def public_feedback(feedback: Feedback) -> PublicFeedback:
    """The public view of a published feedback (its `agency`, `answering_agency` and `rating` read with it)."""
    rating = rating_of(feedback)
    agency = feedback.answering_agency or feedback.agency
    return PublicFeedback(
        code=feedback.code,
        title=feedback.public_title,
        content=feedback.public_content,
        answer=feedback.public_answer,
        topic=str(Topic(feedback.topic).label) if feedback.topic in Topic.values else "",
        kind=str(Kind(feedback.kind).label) if feedback.kind in Kind.values else "",
        agency_name=agency.name if agency else "",
        received_at=feedback.received_at,
        answered_at=feedback.answered_at,
        published_at=feedback.published_at,
        satisfaction=rating.get_satisfaction_display() if rating else "",
        satisfaction_class=SATISFACTION_CLASSES.get(rating.satisfaction, "") if rating else "",
    )


def public_page(code: str) -> PublicFeedback:
    """A published feedback for anyone (NotFound otherwise)."""
    return public_feedback(selectors.published_get(code))


# --- the published answers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListPage:
    items: Page[Any]
    rows: list[PublicFeedback]
    q: str
    agency: str
    agencies: list[Choice]
    count: int
    more: bool  # more rows than counted


def list_page(query: Mapping[str, str]) -> ListPage:
    q = " ".join(query.get("q", "").split())[:200]
    agencies = [
        Choice(value=code, label=name)
        for code, name in selectors.published()
        .exclude(agency=None)
        .order_by("agency__name")
        .values_list("agency__code", "agency__name")
        .distinct()
    ]
    known = {a.value for a in agencies}
    agency = query.get("co-quan", "").strip()
    agency = agency if agency in known else ""
    found = selectors.published(q=q, agency_code=agency).select_related(
        "agency", "answering_agency", "rating"
    )
    paginator = Paginator(found[: LIST_MAX_ROWS + 1], PAGE_SIZE)
    items = paginator.get_page(query.get("trang"))
    count = paginator.count
    return ListPage(
        items=items,
        rows=[public_feedback(f) for f in items.object_list],
        q=q,
        agency=agency,
        agencies=[Choice(value=a.value, label=a.label, checked=a.value == agency) for a in agencies],
        count=min(count, LIST_MAX_ROWS),
        more=count > LIST_MAX_ROWS,
    )


# --- the sender's own list --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyRow:
    feedback: Feedback
    status_class: str
    overdue: bool
    deadline: dt.datetime | None
    deadline_label: str


@dataclass(frozen=True)
class MyPage:
    items: Page[Any]
    rows: list[MyRow]


def my_page(user: User, number: str | None) -> MyPage:
    items = Paginator(selectors.my_feedback(user).select_related("agency"), PAGE_SIZE).get_page(number)
    now = timezone.now()
    rows = []
    for feedback in items.object_list:
        is_open = feedback.status in states.OPEN
        forwarded = feedback.agency_id is not None and feedback.due_at is not None
        rows.append(
            MyRow(
                feedback=feedback,
                status_class=status_class(feedback.status),
                overdue=is_open and selectors.is_overdue(feedback, now),
                deadline=(feedback.due_at if forwarded else feedback.forward_due_at) if is_open else None,
                deadline_label=_("Hạn trả lời") if forwarded else _("Hạn chuyển xử lý"),
            )
        )
    return MyPage(items=items, rows=rows)
