"""Back office for feedback (phản ánh, kiến nghị). Operators triage what citizens send (accept, refuse, merge,
forward to the competent agency) and manage the Open311 applications; officers of the handling agency answer,
transfer to another agency with a reason and publish the answer without personal data.

The feedback's fields are never edited here: every change goes through a workflow page (`admin_views`) that calls
a service, which writes the event and the audit log. Officers see the feedback of their agencies (and the
agencies under them) only; feedback not yet forwarded belongs to no agency and is for operators."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dichvucong.core import audit
from dichvucong.core.admin_mixins import AgencyScopedAdmin, OperatorOnlyAdmin, ReadOnlyAdmin, request_scope
from dichvucong.core.admin_pages import form_html as _form_html
from dichvucong.core.admin_pages import page as _page
from dichvucong.core.errors import DomainError

from . import selectors, services, states
from .admin_forms import Open311ClientForm
from .admin_views import ATTACHMENT_URL, CHANGE, WORKFLOW, FeedbackWorkflowViews, _actor, deadline, local
from .models import Feedback, FeedbackAlert, FeedbackEvent, Open311Client, Status


class _ReadOnlyInline(admin.TabularInline):
    """Rows written by the services only; shown to whoever may see the feedback."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("feedback.view_feedback")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FeedbackEventInline(_ReadOnlyInline):
    """The whole timeline, reminders and escalations included (the sender sees only part of it)."""

    model = FeedbackEvent
    fields = ("at", "action", "actor", "from_agency", "to_agency", "note")
    readonly_fields = fields
    ordering = ("at", "id")
    verbose_name = _("bước xử lý")
    verbose_name_plural = _("Quá trình xử lý")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FeedbackEvent]:
        return super().get_queryset(request).select_related("actor", "from_agency", "to_agency")


class FeedbackAlertInline(_ReadOnlyInline):
    model = FeedbackAlert
    fields = ("sent_at", "stage", "deadline", "agency", "recipients")
    readonly_fields = fields
    verbose_name = _("nhắc hạn")
    verbose_name_plural = _("Nhắc hạn, báo cáo cấp trên")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FeedbackAlert]:
        return super().get_queryset(request).select_related("agency")


class OverdueFilter(admin.SimpleListFilter):
    title = _("hạn xử lý")
    parameter_name = "qua_han"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("Quá hạn"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Feedback]) -> QuerySet[Feedback]:
        if self.value() != "1":
            return queryset
        late = selectors.feedback_in_scope(request_scope(request), overdue=True)
        return queryset.filter(pk__in=late.values("pk"))


def _button(url_name: str, pk: int, label: Any) -> SafeString:
    return format_html('<a class="button" href="{}">{}</a>', reverse(f"admin:{url_name}", args=[pk]), label)


WORKFLOW_LABELS = {
    "accept": _("Tiếp nhận"),
    "refuse": _("Không tiếp nhận"),
    "merge": _("Gộp phản ánh trùng"),
    "forward": _("Chuyển xử lý"),
    "answer": _("Trả lời"),
    "transfer": _("Chuyển cơ quan khác"),
    "publish": _("Công khai kết quả"),
}
# Which step each page takes (the buttons follow the state machine; the services check it again).
WORKFLOW_TARGETS = {
    "accept": Status.ACCEPTED,
    "refuse": Status.REFUSED,
    "merge": Status.MERGED,
    "forward": Status.HANDLING,
    "answer": Status.ANSWERED,
    "transfer": Status.HANDLING,
    "publish": Status.PUBLISHED,
}


def available_steps(feedback: Feedback, *, operator: bool) -> list[str]:
    steps = []
    for name, _route, _method, operators_only in WORKFLOW:
        if operators_only and not operator:
            continue
        if not states.can_move(feedback.status, WORKFLOW_TARGETS[name]):
            continue
        if name == "forward" and feedback.status not in states.TRIAGE:
            continue
        if name == "transfer" and feedback.status != Status.HANDLING:
            continue
        steps.append(name)
    return steps


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin, FeedbackWorkflowViews, AgencyScopedAdmin):
    list_display = (
        "code",
        "title",
        "kind",
        "status",
        "agency",
        "received_at",
        "deadline_display",
        "overdue_marker",
    )
    list_filter = ("status", "kind", "topic", OverdueFilter, "channel")
    search_fields = ("code",)  # replaced by the selector's search (code and folded words), see below
    search_help_text = _("Tìm theo mã phản ánh hoặc từ khóa (gõ có dấu hay không dấu đều được).")
    list_select_related = ("agency",)
    show_full_result_count = False
    inlines = [FeedbackEventInline, FeedbackAlertInline]
    readonly_fields = (
        "code",
        "status",
        "topic",
        "kind",
        "channel",
        "title",
        "content",
        "attachments_list",
        "sender_kind",
        "sender_name",
        "organisation_name",
        "sender_address",
        "sender_phone",
        "sender_email",
        "user",
        "consent_to_publish",
        "unit",
        "address",
        "coordinates",
        "procedure_link",
        "dossier",
        "suggested_agency",
        "agency",
        "received_at",
        "forward_due_at",
        "forwarded_at",
        "due_at",
        "overdue_marker",
        "answered_at",
        "published_at",
        "refusal_reason",
        "merged_into",
        "answer",
        "answered_by",
        "answering_agency",
        "public_interest",
        "public_title",
        "public_content",
        "public_answer",
        "rating_display",
        "client",
        "device_id",
        "account_id",
        "media_url",
        "triage_links",
        "handling_links",
    )

    # --- reads --------------------------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Feedback]:
        return selectors.feedback_in_scope(request_scope(request)).select_related("agency")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Feedback], search_term: str
    ) -> tuple[QuerySet[Feedback], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        found = selectors.feedback_in_scope(request_scope(request), q=term)
        return queryset.filter(pk__in=found.values("pk")), False

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        """Outside the scope (or unknown) answers 404 on every page, not the admin's redirect."""
        found = super().get_object(request, object_id, from_field)
        if found is None:
            raise Http404
        return found

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        operator = request_scope(request).is_everything
        can_change = request.user.has_perm(CHANGE)
        steps = [
            *(["triage_links"] if operator and can_change else []),
            *(["handling_links"] if can_change else []),
        ]
        return [
            (None, {"fields": [*steps, "code", "status", "topic", "kind", "channel", "title", "content"]}),
            (_("Tệp đính kèm"), {"fields": ["attachments_list"]}),
            (
                _("Người phản ánh"),
                {
                    "fields": [
                        "sender_kind",
                        "sender_name",
                        "organisation_name",
                        "sender_address",
                        "sender_phone",
                        "sender_email",
                        "user",
                        "consent_to_publish",
                    ]
                },
            ),
            (
                _("Nơi xảy ra, thủ tục, cơ quan"),
                {
                    "fields": [
                        "unit",
                        "address",
                        "coordinates",
                        "procedure_link",
                        "dossier",
                        "suggested_agency",
                        "agency",
                    ]
                },
            ),
            (
                _("Thời hạn"),
                {
                    "fields": [
                        "received_at",
                        "forward_due_at",
                        "forwarded_at",
                        "due_at",
                        "overdue_marker",
                        "answered_at",
                        "published_at",
                    ]
                },
            ),
            (
                _("Kết quả xử lý"),
                {
                    "fields": [
                        "refusal_reason",
                        "merged_into",
                        "answer",
                        "answered_by",
                        "answering_agency",
                        "rating_display",
                    ]
                },
            ),
            (
                _("Công khai"),
                {"fields": ["public_interest", "public_title", "public_content", "public_answer"]},
            ),
            (
                _("Ứng dụng Open311"),
                {"fields": ["client", "device_id", "account_id", "media_url"], "classes": ["collapse"]},
            ),
        ]

    # --- columns and fields -------------------------------------------------------------------------------------

    @admin.display(description=_("Hạn"))
    def deadline_display(self, obj: Feedback) -> str:
        return local(deadline(obj))

    @admin.display(description=_("Quá hạn"))
    def overdue_marker(self, obj: Feedback) -> SafeString | str:
        if not selectors.is_overdue(obj, timezone.now()):
            return ""
        # Red, and a word and a sign: the colour is not the only clue.
        return format_html('<strong class="overdue" style="color:#ba2121">⚠ {}</strong>', gettext("Quá hạn"))

    @admin.display(description=_("Tọa độ"))
    def coordinates(self, obj: Feedback) -> str:
        if obj.latitude is None or obj.longitude is None:
            return "—"
        return f"{obj.latitude}, {obj.longitude}"

    @admin.display(description=_("Thủ tục hành chính"))
    def procedure_link(self, obj: Feedback) -> SafeString | str:
        if not obj.procedure_code:
            return "—"
        try:
            url = reverse("web:procedure", args=[obj.procedure_code])
        except NoReverseMatch:
            return obj.procedure_code
        return format_html('<a href="{}">{}</a>', url, obj.procedure_code)

    @admin.display(description=_("Tệp đính kèm"))
    def attachments_list(self, obj: Feedback) -> SafeString | str:
        files = list(obj.attachments.order_by("id"))
        if not files:
            return "—"
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({} KB, {})</li>',
            (
                (
                    reverse(f"admin:{ATTACHMENT_URL}", args=[f.pk]),
                    f.title,
                    max(1, f.size // 1024),
                    f.content_type,
                )
                for f in files
            ),
        )
        return format_html("<ul>{}</ul>", items)

    @admin.display(description=_("Đánh giá của người phản ánh"))
    def rating_display(self, obj: Feedback) -> str:
        rating = getattr(obj, "rating", None)
        if rating is None:
            return "—"
        text = f"{rating.get_satisfaction_display()} ({local(rating.rated_at)})"
        return f"{text}: {rating.comment}" if rating.comment else text

    def _links(self, obj: Feedback, names: list[str]) -> SafeString | str:
        if not names:
            return "—"
        return format_html_join(
            " ", "{}", ((_button(f"feedback_feedback_{n}", obj.pk, WORKFLOW_LABELS[n]),) for n in names)
        )

    @admin.display(description=_("Phân loại, chuyển xử lý"))
    def triage_links(self, obj: Feedback) -> SafeString | str:
        operator_steps = {name for name, _r, _m, operators in WORKFLOW if operators}
        return self._links(obj, [n for n in available_steps(obj, operator=True) if n in operator_steps])

    @admin.display(description=_("Xử lý"))
    def handling_links(self, obj: Feedback) -> SafeString | str:
        return self._links(obj, available_steps(obj, operator=False))

    def get_urls(self) -> list[URLPattern]:
        return self.workflow_urls() + super().get_urls()


# --- Open311 applications (operators) -------------------------------------------------------------------------


@admin.register(Open311Client)
class Open311ClientAdmin(OperatorOnlyAdmin):
    """Adding an application creates its API key, shown once; it is kept hashed."""

    list_display = ("name", "key_prefix", "contact_email", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "=key_prefix")
    fields = ("name", "key_prefix", "contact_email", "is_active", "created_at", "deactivate_link")
    readonly_fields = fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # feedback filed by the application points to it

    def _can_manage(self, request: HttpRequest) -> bool:
        return self._operator(request) and request.user.has_perm("feedback.change_open311client")

    @admin.display(description=_("Thao tác"))
    def deactivate_link(self, obj: Open311Client) -> SafeString | str:
        if not obj.is_active:
            return gettext("Đã ngừng hoạt động")
        return _button("feedback_open311client_deactivate", obj.pk, gettext("Ngừng hoạt động"))

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<path:object_id>/ngung-hoat-dong/",
                self.admin_site.admin_view(self.deactivate_view),
                name="feedback_open311client_deactivate",
            )
        ]
        return extra + super().get_urls()

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """Create an application and show its key once (the page is not cached; the key is not stored)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = Open311ClientForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                client, key = services.create_open311_client(
                    name=form.cleaned_data["name"],
                    contact_email=form.cleaned_data["contact_email"],
                    actor=_actor(request),
                    request=request,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                body = format_html(
                    '<p class="errornote">{}</p><p><label for="open311-key">{}</label></p>'
                    '<p><input id="open311-key" type="text" readonly size="70" value="{}"></p>'
                    '<p><a href="{}">{}</a></p>',
                    gettext(
                        "Khóa API chỉ hiển thị một lần: hãy sao chép và gửi cho đơn vị phát triển ứng dụng ngay. "
                        "Cổng chỉ lưu bản băm của khóa."
                    ),
                    gettext("Khóa API của %(name)s") % {"name": client.name},
                    key,
                    reverse("admin:feedback_open311client_change", args=[client.pk]),
                    gettext("Xem ứng dụng"),
                )
                response = _page(request, self, gettext("Đã tạo ứng dụng Open311"), body)
                response["Cache-Control"] = "no-store"
                return response
        return _page(
            request,
            self,
            gettext("Thêm ứng dụng Open311"),
            _form_html(request, form, gettext("Tạo khóa API")),
        )

    def deactivate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self._can_manage(request):
            raise PermissionDenied
        client = Open311Client.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        if client is None:
            raise Http404
        change_url = reverse("admin:feedback_open311client_change", args=[client.pk])
        if request.method == "POST":
            # A flag with no rule behind it; the feedback services have no function for it (yet).
            if Open311Client.objects.filter(pk=client.pk, is_active=True).update(is_active=False):
                audit.record("feedback.open311_client_deactivated", request=request, target=client)
            self.message_user(
                request,
                gettext("Đã ngừng hoạt động ứng dụng %(name)s.") % {"name": client.name},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        body = format_html(
            "<p>{}</p>{}",
            gettext("Ứng dụng %(name)s sẽ không gửi, đọc phản ánh qua Open311 được nữa.")
            % {"name": client.name},
            _form_html(request, forms.Form(), gettext("Ngừng hoạt động")),
        )
        return _page(request, self, gettext("Ngừng hoạt động ứng dụng Open311"), body)
