"""What the support pages show: the help centre (hotline, where to go, a procedure's questions and answers), the
form to ask a question with what was typed and the message next to each refused field, a ticket as its asker
sees it, the asker's tickets, and the help block in the page of every procedure and e-form. Assembled from the
support and catalogue selectors; the templates only display.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dichvucong.catalogue import selectors as catalogue
from dichvucong.catalogue.models import Faq, Procedure
from dichvucong.core.errors import NotFound, ValidationFailed
from dichvucong.support import selectors
from dichvucong.support.models import Ticket, TicketEntry, TicketStatus, TicketTopic

HELP_FAQS: Final = 5
ALL_FAQS: Final = 200
MY_TICKETS_PAGE: Final = 20
_PROCEDURE_CODE_RE = re.compile(r"\d\.\d{6}")


def hotline() -> str:
    return str(settings.SUPPORT_HOTLINE)


def _procedure(code: str) -> Procedure | None:
    if not code or not _PROCEDURE_CODE_RE.fullmatch(code):
        return None
    try:
        return catalogue.procedure_get(code)
    except NotFound:
        return None


# --- help in the page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HelpBlock:
    """A procedure's questions and answers (the first few) and a way to ask, for the pages of the procedure
    and of its e-form."""

    procedure_code: str
    faqs: list[Faq]
    more: bool

    @property
    def ask_url(self) -> str:
        return f"{reverse('web:ticket_new')}?thu-tuc={self.procedure_code}"

    @property
    def all_url(self) -> str:
        return f"{reverse('web:support')}?thu-tuc={self.procedure_code}#hoi-dap"


def help_block(procedure_code: str) -> HelpBlock:
    found = selectors.faqs_for_procedure(procedure_code, limit=HELP_FAQS + 1)
    return HelpBlock(procedure_code=procedure_code, faqs=found[:HELP_FAQS], more=len(found) > HELP_FAQS)


# --- the help centre -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupportPage:
    hotline: str
    feedback_url: str
    procedure: Procedure | None
    faqs: list[Faq]

    @property
    def hotline_tel(self) -> str:
        return re.sub(r"[^\d+]", "", self.hotline)


def support_page(query: Mapping[str, str]) -> SupportPage:
    procedure = _procedure(query.get("thu-tuc", "").strip())
    return SupportPage(
        hotline=hotline(),
        feedback_url=reverse("web:feedback_new"),
        procedure=procedure,
        faqs=selectors.faqs_for_procedure(procedure.code, limit=ALL_FAQS) if procedure else [],
    )


# --- the form to ask a question --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One field of the form: what was typed and, when refused, why; ids tie label, hint and error together."""

    name: str
    label: Any
    value: str
    error: str = ""
    hint: Any = ""
    kind: str = "text"  # text, tel, email, textarea, select
    required: bool = False
    autocomplete: str = ""
    maxlength: int = 300

    @property
    def input_id(self) -> str:
        return f"f-{self.name}"

    @property
    def describedby(self) -> str:
        ids = [f"{self.input_id}-goi-y"] if self.hint else []
        ids += [f"{self.input_id}-loi"] if self.error else []
        return " ".join(ids)


@dataclass(frozen=True)
class ErrorLink:
    message: str
    href: str


ASK_FIELDS: Final = (
    "topic",
    "subject",
    "description",
    "procedure_code",
    "dossier_code",
    "caller_name",
    "caller_phone",
    "caller_email",
)


@dataclass(frozen=True)
class AskPage:
    inputs: list[Input]
    topics: list[tuple[str, Any]]
    procedure: Procedure | None
    summary: str = ""
    errors: list[ErrorLink] = field(default_factory=list)


def ask_values(query: Mapping[str, str], user: Any) -> dict[str, str]:
    """A blank form: the procedure from `?thu-tuc=`, and a signed-in person's name and contacts."""
    code = query.get("thu-tuc", "").strip()[:20]
    values = dict.fromkeys(ASK_FIELDS, "")
    if _procedure(code) is not None:
        values["procedure_code"] = code
        values["topic"] = TicketTopic.PROCEDURE
    code = query.get("ho-so", "").strip()[:60]
    if code:
        values["dossier_code"] = code
        values["topic"] = TicketTopic.DOSSIER
    if user is not None and user.is_authenticated:
        values["caller_name"] = user.full_name or ""
        values["caller_phone"] = user.phone or ""
        values["caller_email"] = user.email or ""
    return values


def posted_values(post: Mapping[str, str]) -> dict[str, str]:
    return {name: str(post.get(name, ""))[:5000] for name in ASK_FIELDS}


def ask_page(values: Mapping[str, str], failure: ValidationFailed | None = None) -> AskPage:
    errors: dict[str, str] = {}
    for error in failure.errors if failure is not None else []:
        column = error.column if error.column in ASK_FIELDS else "subject"
        errors.setdefault(column, error.message)
    inputs = [
        Input("topic", _("Chủ đề"), values["topic"], errors.get("topic", ""), kind="select", required=True),
        Input(
            "subject",
            _("Bạn cần hỗ trợ điều gì?"),
            values["subject"],
            errors.get("subject", ""),
            required=True,
        ),
        Input(
            "description",
            _("Mô tả chi tiết"),
            values["description"],
            errors.get("description", ""),
            hint=_("Không ghi số định danh cá nhân hay mật khẩu."),
            kind="textarea",
            maxlength=5000,
        ),
        Input(
            "procedure_code",
            _("Mã thủ tục"),
            values["procedure_code"],
            errors.get("procedure_code", ""),
            hint=_("Ví dụ 1.001193 (ghi trên trang thủ tục)."),
            maxlength=20,
        ),
        Input(
            "dossier_code",
            _("Mã hồ sơ"),
            values["dossier_code"],
            errors.get("dossier_code", ""),
            hint=_("Nếu câu hỏi về một hồ sơ đã nộp."),
            maxlength=60,
        ),
        Input(
            "caller_name",
            _("Họ và tên"),
            values["caller_name"],
            errors.get("caller_name", ""),
            autocomplete="name",
        ),
        Input(
            "caller_phone",
            _("Số điện thoại"),
            values["caller_phone"],
            errors.get("caller_phone", ""),
            hint=_("Để nhận tin nhắn khi có trả lời và xem lại yêu cầu."),
            kind="tel",
            autocomplete="tel",
            maxlength=20,
        ),
        Input(
            "caller_email",
            _("Thư điện tử"),
            values["caller_email"],
            errors.get("caller_email", ""),
            kind="email",
            autocomplete="email",
            maxlength=254,
        ),
    ]
    return AskPage(
        inputs=inputs,
        topics=list(TicketTopic.choices),
        procedure=_procedure(values["procedure_code"].strip()),
        summary=failure.message if failure is not None else "",
        errors=[ErrorLink(message=i.error, href=f"#{i.input_id}") for i in inputs if i.error],
    )


# --- a ticket, for the person who asked ------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketPage:
    ticket: Ticket
    entries: list[TicketEntry]
    message: str = ""  # what was typed in the follow-up form, kept when refused
    error: str = ""

    @property
    def resolved(self) -> bool:
        return self.ticket.status == TicketStatus.RESOLVED

    @property
    def status_class(self) -> str:
        return {
            TicketStatus.OPEN: "status-open",
            TicketStatus.HANDED_OVER: "status-attention",
            TicketStatus.RESOLVED: "status-done",
        }.get(TicketStatus(self.ticket.status), "status-open")


def ticket_page(ticket: Ticket, *, message: str = "", error: str = "") -> TicketPage:
    return TicketPage(
        ticket=ticket, entries=list(selectors.public_entries(ticket)), message=message, error=error
    )


@dataclass(frozen=True)
class LookupPage:
    code: str
    error: str = ""


def my_tickets_page(user: Any, number: str | None) -> Page[Ticket]:
    return Paginator(selectors.my_tickets(user), MY_TICKETS_PAGE).get_page(number)
