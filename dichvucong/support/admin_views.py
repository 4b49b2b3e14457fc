"""The help desk's own back-office pages (inside the admin's frame): logging a call, which opens a ticket; the
ticket's page with everything said and done on it; and one form per action (another call, a note, a reply, a
hand-over, resolving, reopening, publishing as a question and answer). Each form calls one service; what the
service refuses comes back next to the field it concerns."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dichvucong.core.admin_mixins import request_scope
from dichvucong.core.admin_pages import form_html, local, page
from dichvucong.core.errors import DomainError, NotFound, ValidationFailed
from dichvucong.organisations.models import Agency, AgencyLevel

from . import selectors, services
from .models import Ticket, TicketChannel, TicketStatus, TicketTopic

_DURATION_RE = re.compile(r"(\d{1,3})(?::([0-5]\d))?")
# Service columns whose form field has another name.
_COLUMNS = {"call_duration_seconds": "duration", "duration_seconds": "duration"}


def minutes(seconds: int | None) -> str:
    return "" if seconds is None else f"{seconds // 60}:{seconds % 60:02d}"


# --- forms -----------------------------------------------------------------------------------------------------


class _DurationField(forms.CharField):
    def clean(self, value: Any) -> int | None:
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        match = _DURATION_RE.fullmatch(text)
        if match is None:
            raise forms.ValidationError(gettext("Nhập thời lượng dạng phút:giây, ví dụ 3:25 (hoặc số phút)."))
        return int(match.group(1)) * 60 + int(match.group(2) or 0)


def _duration_field() -> _DurationField:
    return _DurationField(
        label=_("Thời lượng (phút:giây)"), required=False, max_length=7, help_text=_("Ví dụ 3:25.")
    )


def _text_field(label: Any, *, required: bool = True, rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=5000, widget=forms.Textarea(attrs={"rows": rows})
    )


class CallForm(forms.Form):
    """A call (or an e-mail) the agent takes: it opens a ticket."""

    channel = forms.ChoiceField(
        label=_("Kênh"),
        choices=[
            (TicketChannel.PHONE, TicketChannel.PHONE.label),
            (TicketChannel.EMAIL, TicketChannel.EMAIL.label),
        ],
        initial=TicketChannel.PHONE,
    )
    caller_name = forms.CharField(label=_("Họ tên người gọi"), required=False, max_length=200)
    caller_phone = forms.CharField(label=_("Số điện thoại"), required=False, max_length=20)
    caller_email = forms.CharField(label=_("Thư điện tử"), required=False, max_length=254)
    topic = forms.ChoiceField(label=_("Chủ đề"), choices=TicketTopic.choices)
    procedure_code = forms.CharField(
        label=_("Mã thủ tục"), required=False, max_length=20, help_text=_("Ví dụ 1.001193.")
    )
    dossier_code = forms.CharField(label=_("Mã hồ sơ"), required=False, max_length=60)
    payment_reference = forms.CharField(label=_("Mã lệnh thanh toán"), required=False, max_length=40)
    feedback_code = forms.CharField(label=_("Mã phản ánh, kiến nghị"), required=False, max_length=24)
    subject = forms.CharField(label=_("Nội dung cần hỗ trợ"), max_length=300)
    description = _text_field(_("Ghi chép cuộc gọi"), required=False)
    duration = _duration_field()
    resolution = _text_field(
        _("Đã giải quyết ngay: kết quả trả lời"), required=False, rows=3
    )  # blank: the ticket stays open


class EntryForm(forms.Form):
    text = _text_field(_("Nội dung"))


class CallEntryForm(EntryForm):
    duration = _duration_field()
    outgoing = forms.BooleanField(label=_("Điện thoại viên gọi lại cho người dân"), required=False)


class HandOverForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=_("Cơ quan nhận"),
        queryset=Agency.objects.exclude(level=AgencyLevel.COMMUNE).order_by("level", "name"),
        required=False,
    )
    agency_code = forms.CharField(
        label=_("Hoặc mã cơ quan"),
        required=False,
        max_length=40,
        help_text=_("Cho Ủy ban nhân dân cấp xã và cơ quan không có trong danh sách."),
    )
    reason = _text_field(_("Lý do chuyển"), rows=3)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get("agency_code") or "").strip()
        if code:
            found = Agency.objects.filter(code=code).first()
            if found is None:
                self.add_error("agency_code", gettext("Không có cơ quan mã “%(code)s”.") % {"code": code})
            data["agency"] = found
        elif data.get("agency") is None and not self.has_error("agency"):
            self.add_error("agency", gettext("Vui lòng chọn cơ quan nhận."))
        return data


class ResolveForm(forms.Form):
    resolution = _text_field(_("Kết quả giải quyết"))


class ReopenForm(forms.Form):
    reason = _text_field(_("Lý do mở lại"), rows=3)


class FaqForm(forms.Form):
    question = _text_field(_("Câu hỏi"), rows=3)
    answer = _text_field(_("Câu trả lời"), rows=6)


def add_failure(form: forms.Form, failure: DomainError) -> None:
    """Put what a service refused next to the fields it concerns (the rest above the form)."""
    if not isinstance(failure, ValidationFailed):
        form.add_error(None, failure.message)
        return
    for error in failure.errors:
        column = _COLUMNS.get(error.column, error.column)
        form.add_error(column if column in form.fields else None, error.message)


# --- rendering -------------------------------------------------------------------------------------------------


def _facts(ticket: Ticket) -> SafeString:
    linked = [
        (gettext("Mã thủ tục"), ticket.procedure_code),
        (gettext("Mã hồ sơ"), ticket.dossier_code),
        (gettext("Mã lệnh thanh toán"), ticket.payment_reference),
        (gettext("Mã phản ánh, kiến nghị"), ticket.feedback_code),
    ]
    rows = [
        (gettext("Mã yêu cầu"), ticket.code),
        (gettext("Trạng thái"), ticket.get_status_display()),
        (gettext("Kênh"), ticket.get_channel_display()),
        (gettext("Chủ đề"), ticket.get_topic_display()),
        (gettext("Nội dung cần hỗ trợ"), ticket.subject),
        (gettext("Người hỏi"), ticket.caller_name or "—"),
        (gettext("Số điện thoại"), ticket.caller_phone or "—"),
        (gettext("Thư điện tử"), ticket.caller_email or "—"),
        (gettext("Tài khoản"), ticket.user.username if ticket.user else "—"),
        *[(label, value) for label, value in linked if value],
        (gettext("Cơ quan đang xử lý"), ticket.agency.name),
        (gettext("Tổng đài tiếp nhận"), ticket.desk_agency.name),
        (gettext("Người tiếp nhận"), ticket.opened_by.username if ticket.opened_by else "—"),
        (gettext("Tiếp nhận lúc"), local(ticket.created_at)),
        (gettext("Giải quyết lúc"), local(ticket.resolved_at)),
    ]
    if ticket.resolution:
        rows.append((gettext("Kết quả giải quyết"), ticket.resolution))
    return format_html(
        "<table><tbody>{}</tbody></table>",
        format_html_join("", "<tr><th scope='row'>{}</th><td>{}</td></tr>", rows),
    )


def _entries(ticket: Ticket) -> SafeString:
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                local(e.at),
                e.get_kind_display() + (f" → {e.to_agency.name}" if e.to_agency is not None else ""),
                e.author.username if e.author else "—",
                mark_safe(linebreaks(e.text, autoescape=True)),  # escaped by linebreaks
                minutes(e.duration_seconds),
            )
            for e in selectors.entries(ticket)
        ),
    )
    headers = format_html_join(
        "",
        '<th scope="col">{}</th>',
        ((gettext(h),) for h in ("Thời điểm", "Loại", "Người thực hiện", "Nội dung", "Thời lượng")),
    )
    return format_html(
        '<h2>{}</h2><table id="dien-bien"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
        gettext("Diễn biến"),
        headers,
        rows,
    )


# --- the actions -----------------------------------------------------------------------------------------------


class Action:
    """One action on a ticket: its form, its button, the service it calls, and when it is offered."""

    def __init__(
        self,
        name: str,
        title: Any,
        form: type[forms.Form],
        statuses: frozenset[str],
        *,
        operators: bool = False,
    ) -> None:
        self.name, self.title, self.form, self.statuses, self.operators = (
            name,
            title,
            form,
            statuses,
            operators,
        )

    def url(self, ticket: Ticket) -> str:
        return reverse(f"admin:support_ticket_{self.name}", args=[ticket.pk])

    def offered(self, request: HttpRequest, ticket: Ticket) -> bool:
        if self.operators and not request_scope(request).is_everything:
            return False
        return ticket.status in self.statuses

    def initial(self, ticket: Ticket) -> dict[str, Any]:
        if self.name == "faq":
            return {"question": ticket.subject, "answer": ticket.resolution}
        return {}

    def run(self, request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
        common: dict[str, Any] = {"ticket_id": ticket.pk, "actor": request.user, "request": request}
        scope = request_scope(request)
        if self.name == "call":
            services.log_call(
                **common,
                scope=scope,
                text=data["text"],
                duration_seconds=data["duration"],
                outgoing=data["outgoing"],
            )
            return gettext("Đã ghi nhận cuộc gọi.")
        if self.name == "note":
            services.add_note(**common, scope=scope, text=data["text"])
            return gettext("Đã thêm ghi chú.")
        if self.name == "reply":
            services.reply(**common, scope=scope, text=data["text"])
            return gettext("Đã gửi trả lời cho người dân.")
        if self.name == "handover":
            services.hand_over(**common, scope=scope, agency_id=data["agency"].pk, reason=data["reason"])
            return gettext("Đã chuyển yêu cầu đến %(agency)s.") % {"agency": data["agency"].name}
        if self.name == "resolve":
            services.resolve(**common, scope=scope, resolution=data["resolution"])
            return gettext("Đã giải quyết yêu cầu.")
        if self.name == "reopen":
            services.reopen(**common, scope=scope, reason=data["reason"])
            return gettext("Đã mở lại yêu cầu.")
        faq = services.publish_as_faq(**common, scope=scope, question=data["question"], answer=data["answer"])
        return gettext("Đã đăng câu hỏi thường gặp %(code)s.") % {"code": faq.code}


_ACTIVE = frozenset({TicketStatus.OPEN, TicketStatus.HANDED_OVER})
_ANY = frozenset(TicketStatus.values)
ACTIONS = {
    a.name: a
    for a in (
        Action("reply", _("Trả lời người dân"), EntryForm, _ACTIVE),
        Action("call", _("Ghi nhận cuộc gọi"), CallEntryForm, _ANY),
        Action("note", _("Ghi chú nội bộ"), EntryForm, _ANY),
        Action("handover", _("Chuyển cơ quan khác"), HandOverForm, _ACTIVE),
        Action("resolve", _("Giải quyết"), ResolveForm, _ACTIVE),
        Action("reopen", _("Mở lại"), ReopenForm, frozenset({TicketStatus.RESOLVED})),
        Action("faq", _("Đăng thành câu hỏi thường gặp"), FaqForm, _ANY, operators=True),
    )
}


def ticket_in_scope(request: HttpRequest, object_id: str) -> Ticket:
    """The ticket if the officer's scope reaches it; anything else is a 404, as if it did not exist."""
    try:
        return selectors.ticket_by_id_in_scope(request_scope(request), object_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def ticket_page(request: HttpRequest, model_admin: Any, object_id: str) -> HttpResponse:
    ticket = ticket_in_scope(request, object_id)
    if not model_admin.has_view_permission(request, ticket):
        raise PermissionDenied
    forms_html: list[SafeString] = []
    if model_admin.has_change_permission(request, ticket):
        for action in ACTIONS.values():
            if action.offered(request, ticket):
                forms_html.append(
                    format_html(
                        '<details class="module"><summary><h2 style="display:inline">{}</h2></summary>{}</details>',
                        action.title,
                        form_html(
                            request,
                            action.form(initial=action.initial(ticket), auto_id=f"id_{action.name}_%s"),
                            str(action.title),
                            action=action.url(ticket),
                        ),
                    )
                )
    body = format_html(
        "{}{}{}", _facts(ticket), _entries(ticket), format_html_join("", "{}", ((f,) for f in forms_html))
    )
    return page(request, model_admin, gettext("Yêu cầu hỗ trợ %(code)s") % {"code": ticket.code}, body)


def action_view(request: HttpRequest, model_admin: Any, object_id: str, name: str) -> HttpResponse:
    """One action's form: GET shows it, POST runs the service and goes back to the ticket's page."""
    action = ACTIONS[name]
    ticket = ticket_in_scope(request, object_id)
    if not model_admin.has_change_permission(request, ticket) or (
        action.operators and not request_scope(request).is_everything
    ):
        raise PermissionDenied
    form = action.form(request.POST or None, initial=action.initial(ticket))
    if request.method == "POST" and form.is_valid():
        try:
            done = action.run(request, ticket, form.cleaned_data)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:
            add_failure(form, exc)
        else:
            model_admin.message_user(request, done, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:support_ticket_change", args=[ticket.pk]))
    body = format_html(
        "<p>{} · {}</p>{}", ticket.code, ticket.subject, form_html(request, form, str(action.title))
    )
    return page(request, model_admin, str(action.title), body)


def log_call_view(request: HttpRequest, model_admin: Any) -> HttpResponse:
    """The agent logs a call: a new ticket, resolved at once when the answer was given on the phone."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form = CallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                ticket = services.open_ticket(
                    channel=data["channel"],
                    topic=data["topic"],
                    subject=data["subject"],
                    description=data["description"],
                    caller_name=data["caller_name"],
                    caller_phone=data["caller_phone"],
                    caller_email=data["caller_email"],
                    procedure_code=data["procedure_code"],
                    dossier_code=data["dossier_code"],
                    payment_reference=data["payment_reference"],
                    feedback_code=data["feedback_code"],
                    actor=request.user,
                    call_duration_seconds=data["duration"],
                    request=request,
                )
                if data["resolution"].strip():
                    services.resolve(
                        ticket_id=ticket.pk,
                        actor=request.user,
                        scope=request_scope(request),
                        resolution=data["resolution"],
                        request=request,
                    )
        except DomainError as exc:
            add_failure(form, exc)
        else:
            model_admin.message_user(
                request,
                gettext("Đã ghi nhận cuộc gọi, mã yêu cầu %(code)s.") % {"code": ticket.code},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:support_ticket_change", args=[ticket.pk]))
    return page(
        request, model_admin, gettext("Ghi nhận cuộc gọi"), form_html(request, form, gettext("Ghi nhận"))
    )
