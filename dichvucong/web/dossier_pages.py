"""What the pages of the citizen's dossiers show: the list, a dossier with its timeline, documents, printed forms
and rating, the document store and the notices. Assembled from the dossier selectors; the templates only
display. The pages of the form being filled in are in `draft_pages`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Page, Paginator
from django.utils.translation import gettext_lazy

from dichvucong.accounts.models import User
from dichvucong.catalogue import selectors as catalogue
from dichvucong.dossiers import attachments, drafts, eforms, selectors
from dichvucong.dossiers.models import Dossier, DossierDocument, Draft, Rating, Status, StoredDocument
from dichvucong.payments.bills import fee_lines
from dichvucong.stats import quality

from .draft_pages import ReviewSection, form_sections

LIST_PAGE_SIZE: Final = 20
# Printed forms of a dossier (Circular 03/2025/TT-VPCP) and the names their files are downloaded under.
FORM_FILE_NAMES: Final = {
    "01": "phieu-tiep-nhan",
    "02": "phieu-yeu-cau-bo-sung",
    "03": "phieu-tu-choi",
    "04": "van-ban-xin-loi",
    "06": "phieu-kiem-soat",
}
FORM_LABELS: Final = {
    "01": gettext_lazy("Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    "02": gettext_lazy("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "03": gettext_lazy("Phiếu từ chối tiếp nhận hồ sơ"),
    "04": gettext_lazy("Văn bản xin lỗi và hẹn lại ngày trả kết quả"),
    "06": gettext_lazy("Phiếu kiểm soát quá trình giải quyết hồ sơ"),
}

# The nine criteria of the satisfaction rating (DOMAIN.md), each scored 2 / 1 / 0, and the two questions. The
# wording of the answers is ours (?): the published criteria give the scores, not the sentences citizens read.
RATING_CRITERIA: Final = (
    (
        gettext_lazy("Tổng thời gian giải quyết hồ sơ so với thời hạn quy định"),
        (
            gettext_lazy("Sớm hơn hoặc đúng hạn"),
            gettext_lazy("Trễ hạn, có thư xin lỗi"),
            gettext_lazy("Trễ hạn, không có thư xin lỗi"),
        ),
    ),
    (
        gettext_lazy("Thời gian giải quyết của từng cơ quan tham gia"),
        (
            gettext_lazy("Tất cả đúng hạn"),
            gettext_lazy("Có cơ quan trễ hạn, có xin lỗi"),
            gettext_lazy("Có cơ quan trễ hạn, không xin lỗi"),
        ),
    ),
    (
        gettext_lazy("Số lần phải quay lại để bổ sung hồ sơ"),
        (gettext_lazy("Không lần nào hoặc 1 lần"), gettext_lazy("2 lần"), gettext_lazy("3 lần trở lên")),
    ),
    (
        gettext_lazy("Số cơ quan phải liên hệ"),
        (gettext_lazy("Chỉ 1 nơi"), gettext_lazy("2 nơi"), gettext_lazy("3 nơi trở lên")),
    ),
    (
        gettext_lazy("Hồ sơ được nhận và trả kết quả tại Bộ phận Một cửa hoặc trực tuyến"),
        (gettext_lazy("Đúng vậy"), gettext_lazy("Có lúc phải đến nơi khác"), gettext_lazy("Không")),
    ),
    (
        gettext_lazy("Thủ tục được công khai đầy đủ, đúng quy định"),
        (gettext_lazy("Đầy đủ, đúng"), gettext_lazy("Chưa đầy đủ"), gettext_lazy("Không được công khai")),
    ),
    (
        gettext_lazy("Thái độ, ứng xử của cán bộ, công chức"),
        (
            gettext_lazy("Lịch sự, tận tình"),
            gettext_lazy("Bình thường"),
            gettext_lazy("Chưa tốt, gây phiền hà"),
        ),
    ),
    (
        gettext_lazy("Phản ánh, kiến nghị (nếu có) được trả lời đúng hạn"),
        (
            gettext_lazy("Đúng hạn, hoặc tôi không phản ánh"),
            gettext_lazy("Trễ hạn"),
            gettext_lazy("Không được trả lời"),
        ),
    ),
    (
        gettext_lazy("Tiến độ và chất lượng dịch vụ công trực tuyến"),
        (gettext_lazy("Tốt"), gettext_lazy("Trung bình"), gettext_lazy("Chưa tốt")),
    ),
)
SATISFACTION: Final = (gettext_lazy("Rất hài lòng"), gettext_lazy("Hài lòng"), gettext_lazy("Không hài lòng"))
RATING_QUESTIONS: Final = (
    ("convenience", gettext_lazy("Mức độ thuận tiện khi làm thủ tục")),
    ("overall", gettext_lazy("Mức độ hài lòng chung")),
)


def paginate(items: Any, number: str | None) -> Page[Any]:
    return Paginator(items, LIST_PAGE_SIZE).get_page(number)


# --- the citizen's dossiers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftRow:
    draft: Draft
    procedure_name: str


@dataclass(frozen=True)
class MyDossiersPage:
    dossiers: Page[Dossier]
    drafts: list[DraftRow]


def my_dossiers_page(user: User, number: str | None) -> MyDossiersPage:
    open_drafts = list(drafts.open_drafts(user)[:10])
    names = {
        p.code: p.name for p in catalogue.procedures_by_codes(sorted({d.procedure_code for d in open_drafts}))
    }
    return MyDossiersPage(
        dossiers=paginate(selectors.my_dossiers(user), number),
        drafts=[
            DraftRow(draft=d, procedure_name=names.get(d.procedure_code, d.procedure_code))
            for d in open_drafts
        ],
    )


@dataclass(frozen=True)
class Average:
    ratings: int
    total: float
    label: str


@dataclass(frozen=True)
class RatingQuestion:
    name: str
    label: str
    options: list[tuple[int, str, bool]]  # (score, answer, chosen)


def rating_questions(answers: Mapping[str, Any] | None = None) -> list[RatingQuestion]:
    """The nine criteria (c1 … c9) and the two questions, with the answers already chosen (a form sent back)."""
    answers = answers or {}

    def options(name: str, texts: Any) -> list[tuple[int, str, bool]]:
        return [(2 - i, str(text), str(answers.get(name, "")) == str(2 - i)) for i, text in enumerate(texts)]

    questions = [
        RatingQuestion(name=f"c{n}", label=str(label), options=options(f"c{n}", texts))
        for n, (label, texts) in enumerate(RATING_CRITERIA, start=1)
    ]
    questions += [
        RatingQuestion(name=name, label=str(label), options=options(name, SATISFACTION))
        for name, label in RATING_QUESTIONS
    ]
    return questions


@dataclass(frozen=True)
class RatingRow:
    label: str
    score: int
    answer: str


def rating_rows(rating: Rating) -> list[RatingRow]:
    rows = []
    for question, score in zip(
        rating_questions(), [*rating.scores, rating.convenience, rating.overall], strict=True
    ):
        answer = {value: text for value, text, _chosen in question.options}.get(score, "")
        rows.append(RatingRow(label=question.label, score=score, answer=answer))
    return rows


@dataclass(frozen=True)
class DossierPage:
    dossier: Dossier
    events: list[Any]
    submitted: list[DossierDocument]
    results: list[DossierDocument]
    overdue: bool
    form: list[ReviewSection]
    rating: Rating | None
    rating_rows: list[RatingRow]
    can_rate: bool
    questions: list[RatingQuestion]
    agency_average: Average | None
    finished: bool
    forms: list[tuple[str, str]]  # (number, label) of the printed forms this dossier has
    fees: list[dict[str, Any]]  # the fee lines to pay on the portal (payments.bills.fee_lines), [] when none


def rating_of(dossier: Dossier) -> Rating | None:
    try:
        return dossier.rating
    except ObjectDoesNotExist:
        return None


def agency_average(agency_id: int) -> Average | None:
    rows = selectors.rating_averages(by="agency", agency_id=agency_id)
    if not rows or not rows[0]["ratings"]:
        return None
    total = float(rows[0]["average_total"])
    return Average(ratings=int(rows[0]["ratings"]), total=total, label=quality.classify_satisfaction(total))


def dossier_page(user: User, code: str) -> DossierPage:
    dossier = selectors.dossier_for_owner(user, code)
    documents = list(selectors.documents(dossier))
    rating = rating_of(dossier)
    finished = dossier.status in (Status.RESULT_READY, Status.RESULT_RETURNED)
    form: list[ReviewSection] = []
    data = (dossier.details or {}).get("form") or {}
    if data:
        procedure = catalogue.procedures_by_codes([dossier.procedure_code])
        if procedure:
            definition = eforms.definition_for(procedure[0])
            form = [
                ReviewSection(title=s.title, url="", rows=[r for r in s.rows if r.value])
                for s in form_sections(definition, data)
            ]
    events = list(selectors.timeline(dossier))
    statuses = {event.status for event in events}
    numbers = ["01"]
    numbers += ["02"] if Status.SUPPLEMENT_REQUESTED in statuses else []
    numbers += ["03"] if Status.REFUSED in statuses else []
    numbers += ["04"] if dossier.apologies.exists() else []
    numbers += ["06"]
    return DossierPage(
        dossier=dossier,
        events=events,
        submitted=[d for d in documents if d.kind == DossierDocument.Kind.SUBMITTED],
        results=[d for d in documents if d.kind == DossierDocument.Kind.RESULT],
        overdue=selectors.is_overdue(dossier),
        form=[s for s in form if s.rows],
        rating=rating,
        rating_rows=rating_rows(rating) if rating else [],
        can_rate=finished and rating is None,
        questions=rating_questions(),
        agency_average=agency_average(dossier.agency_id),
        finished=finished,
        forms=[(number, str(FORM_LABELS[number])) for number in numbers],
        fees=fee_lines(dossier.details if isinstance(dossier.details, dict) else {}),
    )


# --- the document store and notices ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StorePage:
    documents: Page[StoredDocument]
    accepted: str
    max_file_mb: str


def store_page(user: User, number: str | None) -> StorePage:
    return StorePage(
        documents=paginate(attachments.store_documents(user), number),
        accepted=attachments.accepted_type_names(),
        max_file_mb=attachments.megabytes(settings.DOSSIER_MAX_FILE_BYTES),
    )


def notifications_page(user: User, number: str | None) -> Page[Any]:
    return paginate(
        selectors.notifications(user).select_related("dossier").order_by("-created_at", "-id"), number
    )
