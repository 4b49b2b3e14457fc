"""The back office's review pages of a procedure version: send a draft for review, return it to draft with a
reason, publish it (the state machine is `review.py`, the rules `services.py`).

Each page finds the version through the admin's scoped queryset first (`get_object`), so that a version of
another agency answers 404 whatever the method; then checks the permission (403); then calls one service, which
checks the state and the four-eyes rule again and writes the audit log. GET shows the confirmation form, POST
does the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dichvucong.core.admin_pages import form_html, local, page
from dichvucong.core.errors import DomainError

from . import review, services
from .models import Procedure, ProcedureStatus

CHANGE = "catalogue.change_procedure"

# url name suffix, route, view method, permission, target state (the buttons follow the state machine)
STEPS: tuple[tuple[str, str, str, str, str], ...] = (
    ("submit", "gui-duyet", "submit_view", CHANGE, ProcedureStatus.IN_REVIEW),
    ("return", "tra-lai", "return_view", review.PUBLISH_PERMISSION, ProcedureStatus.DRAFT),
    ("publish", "cong-bo", "publish_view", review.PUBLISH_PERMISSION, ProcedureStatus.PUBLISHED),
)
STEP_LABELS = {
    "submit": _("Gửi duyệt"),
    "return": _("Trả lại để sửa"),
    "publish": _("Duyệt và công bố"),
}


class ConfirmForm(forms.Form):
    """A step without input: the POST is the confirmation."""


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do trả lại"),
        min_length=5,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=_("Cán bộ cập nhật thấy lý do này trên bản nháp."),
    )


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def available_steps(procedure: Procedure, user: Any) -> list[str]:
    """The steps `user` may take on `procedure` now (the service checks again, four-eyes included)."""
    return [
        name
        for name, _route, _method, permission, target in STEPS
        if review.can_move(procedure.status, target) and user.has_perm(permission)
    ]


class ProcedureReviewViews(admin.ModelAdmin):
    """Mixed into `ProcedureAdmin`: `get_queryset` there is the officer's scope."""

    def review_urls(self) -> list[URLPattern]:
        return [
            path(
                f"<path:object_id>/{route}/",
                self.admin_site.admin_view(getattr(self, method)),
                name=f"catalogue_procedure_{name}",
            )
            for name, route, method, _permission, _target in STEPS
        ]

    def has_publish_permission(self, request: HttpRequest) -> bool:
        """For the list action `publish_action` (`permissions=["publish"]`)."""
        return request.user.has_perm(review.PUBLISH_PERMISSION)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Procedure | None = None,
    ) -> HttpResponse:
        """The review steps this person may take, as buttons above the version (change_form.html)."""
        steps = (
            [
                (reverse(f"admin:catalogue_procedure_{name}", args=[obj.pk]), STEP_LABELS[name])
                for name in available_steps(obj, request.user)
            ]
            if obj is not None
            else []
        )
        return super().render_change_form(
            request, {**context, "review_steps": steps}, add, change, form_url, obj
        )

    # --- look-up and checks -------------------------------------------------------------------------------------

    def _procedure(self, request: HttpRequest, object_id: str, permission: str) -> Procedure:
        """The version if in scope (404 otherwise, before any permission check), then the permission (403)."""
        found = self.get_object(request, unquote(object_id))
        if found is None:
            raise Http404
        if not request.user.has_perm(permission):
            raise PermissionDenied
        return found

    def _summary(self, procedure: Procedure) -> SafeString:
        rows = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td>{}</td></tr>",
            (
                (gettext("Mã thủ tục"), procedure.code),
                (gettext("Phiên bản"), procedure.version),
                (gettext("Tên thủ tục"), procedure.name),
                (gettext("Trạng thái"), procedure.get_status_display()),
                (gettext("Cơ quan quản lý"), procedure.managing_agency.name),
                (gettext("Người gửi duyệt"), procedure.submitted_by or "—"),
                (gettext("Gửi duyệt lúc"), local(procedure.submitted_at)),
            ),
        )
        return format_html(
            '<table><tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            rows,
            reverse("admin:catalogue_procedure_change", args=[procedure.pk]),
            gettext("← Quay lại phiên bản thủ tục"),
        )

    def _run(
        self,
        request: HttpRequest,
        procedure: Procedure,
        form: forms.Form,
        *,
        title: str,
        submit: str,
        action: Callable[[dict[str, Any]], Any],
        done: str,
        intro: str = "",
    ) -> HttpResponse:
        """Validate the form and call the service; its error is shown above the form, what was typed stays."""
        if request.method == "POST" and form.is_valid():
            try:
                action(form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:catalogue_procedure_change", args=[procedure.pk]))
        body = format_html(
            "{}{}{}",
            self._summary(procedure),
            format_html("<p>{}</p>", intro) if intro else "",
            form_html(request, form, submit),
        )
        return page(request, self, title, body)

    # --- the steps ----------------------------------------------------------------------------------------------

    def submit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        procedure = self._procedure(request, object_id, CHANGE)
        return self._run(
            request,
            procedure,
            ConfirmForm(_posted(request)),
            title=gettext("Gửi duyệt phiên bản thủ tục"),
            submit=gettext("Gửi duyệt"),
            intro=gettext("Trong khi chờ duyệt, bản nháp không sửa được; người duyệt có thể trả lại để sửa."),
            action=lambda data: services.submit_for_review(
                procedure_id=procedure.pk, actor=request.user, request=request
            ),
            done=gettext("Đã gửi duyệt thủ tục %(code)s phiên bản %(version)s.")
            % {"code": procedure.code, "version": procedure.version},
        )

    def return_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        procedure = self._procedure(request, object_id, review.PUBLISH_PERMISSION)
        return self._run(
            request,
            procedure,
            ReturnForm(_posted(request)),
            title=gettext("Trả lại bản nháp để sửa"),
            submit=gettext("Trả lại"),
            action=lambda data: services.return_to_draft(
                procedure_id=procedure.pk, actor=request.user, reason=data["reason"], request=request
            ),
            done=gettext("Đã trả lại thủ tục %(code)s phiên bản %(version)s để sửa.")
            % {"code": procedure.code, "version": procedure.version},
        )

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        procedure = self._procedure(request, object_id, review.PUBLISH_PERMISSION)
        return self._run(
            request,
            procedure,
            ConfirmForm(_posted(request)),
            title=gettext("Duyệt và công bố phiên bản thủ tục"),
            submit=gettext("Công bố"),
            intro=gettext("Phiên bản đang áp dụng (nếu có) sẽ được thay thế và vẫn xem được trong lịch sử."),
            action=lambda data: services.publish(
                procedure_id=procedure.pk, actor=request.user, request=request
            ),
            done=gettext("Đã công bố thủ tục %(code)s phiên bản %(version)s.")
            % {"code": procedure.code, "version": procedure.version},
        )
