"""The back office's feedback workflow pages: the operators' triage (accept, refuse, merge, forward) and the
handling agency's work (answer, transfer, publish), plus the download of an attachment.

Each page finds the feedback through the admin's scoped queryset first, so that feedback outside the officer's
scope answers 404 whatever the method; then checks the role (403); then calls one service, which checks the
state and the scope again, writes the event and the audit log. GET shows the form, POST does the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from dichvucong.accounts.models import User
from dichvucong.core import audit
from dichvucong.core.admin_mixins import request_scope
from dichvucong.core.admin_pages import form_html as _form_html
from dichvucong.core.admin_pages import local
from dichvucong.core.admin_pages import page as _page
from dichvucong.core.errors import DomainError, ValidationFailed
from dichvucong.dossiers.attachments import EXTENSIONS

from . import redaction, selectors, services
from .admin_forms import (
    AcceptForm,
    AnswerForm,
    ForwardForm,
    MergeForm,
    PublishForm,
    RefuseForm,
    TransferForm,
)
from .models import Feedback, FeedbackAttachment

CHANGE = "feedback.change_feedback"

# url name suffix, route, view method name, operators only
WORKFLOW: tuple[tuple[str, str, str, bool], ...] = (
    ("accept", "tiep-nhan", "accept_view", True),
    ("refuse", "tu-choi", "refuse_view", True),
    ("merge", "gop", "merge_view", True),
    ("forward", "chuyen-xu-ly", "forward_view", True),
    ("answer", "tra-loi", "answer_view", False),
    ("transfer", "chuyen-co-quan-khac", "transfer_view", False),
    ("publish", "cong-khai", "publish_view", False),
)
ATTACHMENT_URL = "feedback_feedback_attachment"


def deadline(feedback: Feedback) -> Any:
    """Before forwarding, the portal's own deadline; after, the handling agency's."""
    return feedback.due_at if feedback.agency_id is not None and feedback.due_at else feedback.forward_due_at


def _actor(request: HttpRequest) -> User:
    """The admin site lets only signed-in staff through."""
    user = request.user
    assert isinstance(user, User)
    return user


def _download_name(attachment: FeedbackAttachment) -> str:
    """The title the sender gave (its file name without extension), with the extension of its real type."""
    extension = EXTENSIONS.get(attachment.content_type, "")
    stem = " ".join(attachment.title.replace("/", " ").replace("\\", " ").split())[:120] or "tep-dinh-kem"
    return stem if stem.lower().endswith(extension) else f"{stem}{extension}"


def _posted(request: HttpRequest) -> Any:
    """The form's data on POST (even empty: a confirmation has no field), None on GET."""
    return request.POST if request.method == "POST" else None


class FeedbackWorkflowViews(admin.ModelAdmin):
    """Mixed into `FeedbackAdmin`: `get_queryset` there is the officer's scope."""

    def workflow_urls(self) -> list[URLPattern]:
        urls = [
            path(
                f"<path:object_id>/{route}/",
                self.admin_site.admin_view(getattr(self, method)),
                name=f"feedback_feedback_{name}",
            )
            for name, route, method, _operators in WORKFLOW
        ]
        urls.append(
            path(
                "tep/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name=ATTACHMENT_URL,
            )
        )
        return urls

    # --- look-up and checks -------------------------------------------------------------------------------------

    def _feedback(self, request: HttpRequest, object_id: str) -> Feedback:
        """The feedback if in scope; 404 otherwise (as if it did not exist), before any role check."""
        if not str(object_id).isdigit():
            raise Http404
        found = self.get_queryset(request).filter(pk=int(object_id)).first()
        if found is None:
            raise Http404
        return found

    def _check(self, request: HttpRequest, *, operators_only: bool) -> None:
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        if operators_only and not request_scope(request).is_everything:
            raise PermissionDenied

    def _summary(self, feedback: Feedback) -> SafeString:
        rows = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td>{}</td></tr>",
            (
                (gettext("Mã phản ánh"), feedback.code),
                (gettext("Tiêu đề"), feedback.title),
                (gettext("Trạng thái"), feedback.get_status_display()),
                (
                    gettext("Cơ quan xử lý"),
                    feedback.agency.name if feedback.agency else gettext("Chưa chuyển"),
                ),
                (gettext("Hạn"), local(deadline(feedback))),
            ),
        )
        return format_html(
            '<table><tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            rows,
            reverse("admin:feedback_feedback_change", args=[feedback.pk]),
            gettext("← Quay lại phản ánh"),
        )

    def _run(
        self,
        request: HttpRequest,
        feedback: Feedback,
        form: forms.Form,
        *,
        title: str,
        submit: str,
        action: Callable[[dict[str, Any]], Any],
        done: str,
        intro: SafeString | str = "",
    ) -> HttpResponse:
        """Validate the form, call the service; its errors go next to the fields they name, and what was typed
        stays in the form."""
        if request.method == "POST" and form.is_valid():
            try:
                action(form.cleaned_data)
            except ValidationFailed as exc:
                for error in exc.errors:
                    form.add_error(error.column if error.column in form.fields else None, error.message)
                if not exc.errors:
                    form.add_error(None, exc.message)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:feedback_feedback_change", args=[feedback.pk]))
        body = format_html(
            "{}{}{}",
            self._summary(feedback),
            format_html("<p>{}</p>", intro) if intro else "",
            _form_html(request, form, submit),
        )
        return _page(request, self, title, body)

    # --- operators: triage --------------------------------------------------------------------------------------

    def accept_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        feedback = self._feedback(request, object_id)
        self._check(request, operators_only=True)
        return self._run(
            request,
            feedback,
            AcceptForm(_posted(request)),
            title=gettext("Tiếp nhận phản ánh"),
            submit=gettext("Tiếp nhận"),
            intro=gettext("Phản ánh thuộc phạm vi xử lý; sau đó chuyển đến cơ quan có thẩm quyền."),
            action=lambda data: services.accept(
                feedback_id=feedback.pk, actor=_actor(request), request=request
            ),
            done=gettext("Đã tiếp nhận phản ánh %(code)s.") % {"code": feedback.code},
        )

    def refuse_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        feedback = self._feedback(request, object_id)
        self._check(request, operators_only=True)
        return self._run(
            request,
            feedback,
            RefuseForm(_posted(request)),
            title=gettext("Không tiếp nhận phản ánh"),
            submit=gettext("Không tiếp nhận"),
            action=lambda data: services.refuse(
                feedback_id=feedback.pk, actor=_actor(request), reason=data["full_reason"], request=request
            ),
            done=gettext("Đã không tiếp nhận phản ánh %(code)s; lý do đã gửi cho người phản ánh.")
            % {"code": feedback.code},
        )

    def merge_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        feedback = self._feedback(request, object_id)
        self._check(request, operators_only=True)
        return self._run(
            request,
            feedback,
            MergeForm(_posted(request)),
            title=gettext("Gộp phản ánh trùng"),
            submit=gettext("Gộp"),
            action=lambda data: services.merge(
                feedback_id=feedback.pk, into_code=data["into_code"], actor=_actor(request), request=request
            ),
            done=gettext("Đã gộp phản ánh %(code)s.") % {"code": feedback.code},
        )

    def _suggestions(self, feedback: Feedback) -> list[Any]:
        found = selectors.suggest_agencies(
            procedure_code=feedback.procedure_code,
            unit_code=feedback.unit.code if feedback.unit_id and feedback.unit else "",
        )
        # The agency the sender named, then the one handling the dossier the feedback is about.
        named = [feedback.suggested_agency] if feedback.suggested_agency else []
        if feedback.dossier is not None and feedback.dossier.agency not in named:
            named.append(feedback.dossier.agency)
        return [*named, *(a for a in found if a not in named)]

    def forward_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        feedback = self._feedback(request, object_id)
        self._check(request, operators_only=True)
        suggestions = self._suggestions(feedback)
        initial = {"agency": suggestions[0].code} if suggestions else {}
        return self._run(
            request,
            feedback,
            ForwardForm(_posted(request), initial=initial, suggestions=suggestions),
            title=gettext("Chuyển cơ quan có thẩm quyền xử lý"),
            submit=gettext("Chuyển xử lý"),
            action=lambda data: services.forward(
                feedback_id=feedback.pk,
                agency_id=data["agency_obj"].pk,
                note=data.get("note", ""),
                actor=_actor(request),
                request=request,
            ),
            done=gettext("Đã chuyển phản ánh %(code)s đến cơ quan xử lý.") % {"code": feedback.code},
        )

    # --- the handling agency ------------------------------------------------------------------------------------

    def answer_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        feedback = self._feedback(request, object_id)
        self._check(request, operators_only=False)
        return self._run(
            request,
            feedback,
            AnswerForm(_posted(request), initial={"text": feedback.answer}),
            title=gettext("Trả lời phản ánh"),
            submit=gettext("Gửi kết quả xử lý"),
            action=lambda data: services.answer(
                feedback_id=feedback.pk,
                actor=_actor(request),
                scope=request_scope(request),
                text=data["text"],
                request=request,
            ),
            done=gettext("Đã gửi kết quả xử lý phản ánh %(code)s cho người phản ánh.")
            % {"code": feedback.code},
        )

    def transfer_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        feedback = self._feedback(request, object_id)
        self._check(request, operators_only=False)
        suggestions = [a for a in self._suggestions(feedback) if a.pk != feedback.agency_id]
        return self._run(
            request,
            feedback,
            TransferForm(_posted(request), suggestions=suggestions),
            title=gettext("Chuyển phản ánh sang cơ quan khác"),
            submit=gettext("Chuyển cơ quan khác"),
            intro=gettext("Chỉ chuyển khi phản ánh không thuộc thẩm quyền của cơ quan mình; ghi rõ lý do."),
            action=lambda data: services.transfer(
                feedback_id=feedback.pk,
                agency_id=data["agency_obj"].pk,
                actor=_actor(request),
                scope=request_scope(request),
                reason=data["reason"],
                request=request,
            ),
            done=gettext("Đã chuyển phản ánh %(code)s sang cơ quan khác.") % {"code": feedback.code},
        )

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        feedback = self._feedback(request, object_id)
        self._check(request, operators_only=False)
        consented = feedback.consent_to_publish
        initial = {
            "public_title": feedback.public_title or redaction.suggest(feedback, feedback.title),
            "public_content": feedback.public_content or redaction.suggest(feedback, feedback.content),
            "public_answer": feedback.public_answer or redaction.suggest(feedback, feedback.answer),
            "public_interest": feedback.public_interest,
        }
        consent = (
            gettext("Người gửi đồng ý công khai.")
            if consented
            else gettext("Người gửi không đồng ý công khai: chỉ công khai khi cần thiết vì lợi ích chung.")
        )
        intro = format_html(
            "{} {}",
            consent,
            gettext(
                "Nội dung dưới đây đã được ẩn các thông tin cá nhân tìm thấy; hãy đọc lại trước khi công khai: "
                "Cổng từ chối nội dung còn thông tin cá nhân."
            ),
        )
        return self._run(
            request,
            feedback,
            PublishForm(_posted(request), initial=initial, consented=consented),
            title=gettext("Công khai kết quả xử lý"),
            submit=gettext("Công khai"),
            intro=intro,
            action=lambda data: services.publish(
                feedback_id=feedback.pk,
                actor=_actor(request),
                scope=request_scope(request),
                public_title=data["public_title"],
                public_content=data["public_content"],
                public_answer=data["public_answer"],
                public_interest=bool(data.get("public_interest")),
                request=request,
            ),
            done=gettext("Đã công khai kết quả xử lý phản ánh %(code)s.") % {"code": feedback.code},
        )

    # --- attachments --------------------------------------------------------------------------------------------

    def attachment_view(self, request: HttpRequest, attachment_id: int) -> FileResponse:
        """A file the sender attached, to those who see the feedback; every download is audited."""
        attachment = FeedbackAttachment.objects.filter(pk=attachment_id).first()
        if attachment is None:
            raise Http404
        feedback = self._feedback(request, str(attachment.feedback_id))
        if not self.has_view_permission(request, feedback):
            raise PermissionDenied
        audit.record(
            "feedback.attachment_downloaded",
            request=request,
            target=feedback,
            detail={"attachment": attachment.pk, "title": attachment.title[:200]},
        )
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=_download_name(attachment),
            content_type=attachment.content_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
