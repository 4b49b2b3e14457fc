"""Pages of online dossiers: submitting step by step, the citizen's dossiers, documents and notices, ratings,
and the public look-up. Each view reads the request, calls one service (writes) or `dossier_pages` (reads) and
renders; a refused value comes back next to its field, in the user's language.

Files (documents submitted, results, the personal store, the printed forms) are served only to their owner,
always as attachments with the type found from their content, so that a browser never renders them as a page.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dichvucong.accounts.models import User
from dichvucong.core.audit import client_ip
from dichvucong.core.errors import DomainError, NotFound
from dichvucong.dossiers import attachments, drafts, eforms, printing, selectors, services
from dichvucong.dossiers.models import Draft, StoredDocument
from dichvucong.organisations import selectors as organisations

from . import dossier_pages as pages
from . import draft_pages

# The public look-up: failed attempts allowed per address and per dossier code in a window, then refused.
LOOKUP_ATTEMPTS = getattr(settings, "DOSSIER_LOOKUP_ATTEMPTS", 10)
LOOKUP_WINDOW_SECONDS = getattr(settings, "DOSSIER_LOOKUP_WINDOW_SECONDS", 15 * 60)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _draft(request: HttpRequest, draft_id: int) -> Draft:
    return drafts.draft_for_owner(_user(request), draft_id)


def _submitted_redirect(draft: Draft) -> HttpResponse | None:
    if draft.dossier_id is None:
        return None
    assert draft.dossier is not None
    return HttpResponseRedirect(reverse("web:dossier", kwargs={"code": draft.dossier.code}))


# --- starting ---------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, code: str) -> HttpResponse:
    """What the procedure asks for, then "Bắt đầu" (a new draft, or the one left open)."""
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        try:
            draft = drafts.start_draft(owner=_user(request), procedure_code=code)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            page = draft_pages.start_page(code, request.user)
            return render(
                request, "web/dossiers/start.html", {"page": page, "error": exc.message}, status=400
            )
        return HttpResponseRedirect(draft_pages.flow_for(draft).resume_url())
    return render(request, "web/dossiers/start.html", {"page": draft_pages.start_page(code, request.user)})


@require_GET
def communes(request: HttpRequest) -> HttpResponse:
    """The communes of the province chosen in an address (`<field>__province`), as <option>s (htmx)."""
    province = next((str(v) for k, v in request.GET.items() if k.endswith("__province")), "")
    units = organisations.unit_list(parent=province) if province else []
    return render(request, "web/account/_commune_options.html", {"communes": units})


# --- the form -------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def draft_step(request: HttpRequest, draft_id: int, step: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    if (done := _submitted_redirect(draft)) is not None:
        return done
    flow = draft_pages.flow_for(draft)
    index = step - 1
    if not 0 <= index < flow.form_steps:
        raise Http404(_("Bước này không có trong biểu mẫu."))
    if request.method == "GET":
        return render(request, "web/dossiers/step.html", {"page": draft_pages.step_page(flow, index)})
    action = request.POST.get("action", "next")
    raw = eforms.raw_from_post(flow.definition, index, request.POST)
    partial = action != "next"
    errors = drafts.save_step(draft=draft, step=index, raw=raw, partial=partial, definition=flow.definition)
    if action == "back" and index > 0:
        return HttpResponseRedirect(flow.step_url(step - 1))
    if action == "back":
        return HttpResponseRedirect(reverse("web:dossier_start", kwargs={"code": draft.procedure_code}))
    if errors or partial:
        page = draft_pages.step_page(flow, index, raw=raw, errors=errors, saved=action == "save")
        return render(request, "web/dossiers/step.html", {"page": page}, status=400 if errors else 200)
    return HttpResponseRedirect(flow.step_url(step + 1))


def _upload_slots(request: HttpRequest, flow: draft_pages.Flow) -> dict[str, str]:
    """Attach what the documents form carries: files uploaded and documents picked from the store, slot by
    slot; a refused file is reported next to its slot and nothing else is lost."""
    errors: dict[str, str] = {}
    for slot in flow.slots:
        try:
            picked = request.POST.get(f"kho-{slot.key}", "")
            if picked.isdigit():
                drafts.attach_stored(
                    draft=flow.draft, slot=slot.key, document_id=int(picked), definition=flow.definition
                )
            for uploaded in request.FILES.getlist(f"tep-{slot.key}"):
                drafts.attach_upload(
                    draft=flow.draft, slot=slot.key, uploaded_file=uploaded, definition=flow.definition
                )
        except DomainError as exc:
            errors[slot.key] = exc.message
    return errors


@login_required
@require_http_methods(["GET", "POST"])
def draft_documents(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    if (done := _submitted_redirect(draft)) is not None:
        return done
    flow = draft_pages.flow_for(draft)
    if flow.documents_step is None:
        return HttpResponseRedirect(flow.step_url(flow.total))
    if request.method == "GET":
        return render(request, "web/dossiers/documents.html", {"page": draft_pages.documents_page(flow)})
    errors = _upload_slots(request, flow)
    action = request.POST.get("action", "next")
    if action.startswith("go-bo:"):
        slot, _sep, document_id = action.removeprefix("go-bo:").partition(":")
        if document_id.isdigit():
            drafts.detach(draft=draft, slot=slot, document_id=int(document_id))
    elif not errors and action == "back":
        return HttpResponseRedirect(flow.step_url(flow.form_steps))
    elif not errors and action == "next":
        errors = drafts.complete_documents(draft=draft, slots=flow.slots, step=flow.form_steps + 1)
        if not errors:
            return HttpResponseRedirect(flow.step_url(flow.total))
    if errors:
        page = draft_pages.documents_page(flow, errors=errors)
        return render(request, "web/dossiers/documents.html", {"page": page}, status=400)
    return HttpResponseRedirect(flow.step_url(flow.documents_step))


@login_required
@require_http_methods(["GET", "POST"])
def draft_review(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    if (done := _submitted_redirect(draft)) is not None:
        return done
    flow = draft_pages.flow_for(draft)
    if request.method == "POST":
        try:
            dossier = drafts.submit(draft=draft)
        except drafts.DraftIncomplete:
            page = draft_pages.review_page(flow)
            return render(request, "web/dossiers/review.html", {"page": page}, status=400)
        except DomainError as exc:
            page = draft_pages.review_page(flow)
            return render(
                request, "web/dossiers/review.html", {"page": page, "error": exc.message}, status=400
            )
        return HttpResponseRedirect(reverse("web:dossier_submitted", kwargs={"code": dossier.code}))
    return render(request, "web/dossiers/review.html", {"page": draft_pages.review_page(flow)})


@login_required
@require_GET
def draft_resume(request: HttpRequest, draft_id: int) -> HttpResponse:
    """Where the citizen stopped: the first step not completed."""
    draft = _draft(request, draft_id)
    if (done := _submitted_redirect(draft)) is not None:
        return done
    return HttpResponseRedirect(draft_pages.flow_for(draft).resume_url())


@login_required
@require_POST
def draft_discard(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    if (done := _submitted_redirect(draft)) is not None:
        return done
    drafts.discard(draft=draft)
    messages.success(request, _("Đã xóa hồ sơ đang soạn."))
    return HttpResponseRedirect(reverse("web:my_dossiers"))


# --- the citizen's dossiers -----------------------------------------------------------------------------------


@login_required
@require_GET
def submitted(request: HttpRequest, code: str) -> HttpResponse:
    dossier = selectors.dossier_for_owner(_user(request), code)
    return render(request, "web/dossiers/submitted.html", {"dossier": dossier})


@login_required
@require_GET
def my_dossiers(request: HttpRequest) -> HttpResponse:
    page = pages.my_dossiers_page(_user(request), request.GET.get("page"))
    return render(request, "web/dossiers/my_dossiers.html", {"page": page})


@login_required
@require_GET
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "web/dossiers/dossier.html", {"page": pages.dossier_page(_user(request), code)})


def _attachment(content: Any, *, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(content, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _download_name(title: str, content_type: str) -> str:
    extension = attachments.EXTENSIONS.get(content_type, "")
    stem = " ".join(title.replace("/", " ").replace("\\", " ").split())[:120] or "giay-to"
    return stem if stem.lower().endswith(extension) else f"{stem}{extension}"


def _serve(document: StoredDocument) -> FileResponse:
    return _attachment(
        document.file.open("rb"),
        filename=_download_name(document.title, document.content_type),
        content_type=document.content_type,
    )


@login_required
@require_GET
def dossier_document(request: HttpRequest, code: str, document_id: int) -> HttpResponseBase:
    """A document submitted with one of the citizen's dossiers, or a result of it."""
    dossier = selectors.dossier_for_owner(_user(request), code)
    document = selectors.documents(dossier).filter(pk=document_id).first()
    if document is None:
        raise NotFound(_("Không tìm thấy tệp."))
    return _serve(document.document)


@login_required
@require_GET
def dossier_form(request: HttpRequest, code: str, form: str) -> HttpResponse:
    """A printed form of the dossier (01 receipt, 02 supplement request, 03 refusal, 04 apology, 06 control
    sheet), as PDF."""
    dossier = selectors.dossier_for_owner(_user(request), code)
    if form not in printing.FORMS:
        raise NotFound(_("Không có mẫu số %(form)s cho hồ sơ.") % {"form": form[:4]})
    content = printing.form_pdf(dossier, form)
    name = pages.FORM_FILE_NAMES.get(form, f"mau-{form}")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"{name}-{dossier.code}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _rating_values(post: Any) -> tuple[list[int | None], int | None, int | None]:
    def score(name: str) -> int | None:
        value = post.get(name, "")
        return int(value) if value in ("0", "1", "2") else None

    return [score(f"c{n}") for n in range(1, 10)], score("convenience"), score("overall")


@login_required
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, code: str) -> HttpResponse:
    """The satisfaction rating of a dossier after its result (also reached from the receipt's QR code)."""
    page = pages.dossier_page(_user(request), code)
    context: dict[str, Any] = {"page": page, "form": request.POST, "missing": set()}
    if request.method == "POST" and page.can_rate:
        context["questions"] = pages.rating_questions(request.POST)
        scores, convenience, overall = _rating_values(request.POST)
        missing = [
            q for q, s in zip(page.questions, [*scores, convenience, overall], strict=True) if s is None
        ]
        if missing:
            context["missing"] = {q.name for q in missing}
            context["error"] = _("Vui lòng chọn một câu trả lời cho mỗi câu hỏi (còn %(n)d câu).") % {
                "n": len(missing)
            }
            return render(request, "web/dossiers/rate.html", context, status=400)
        try:
            services.rate_dossier(
                dossier=page.dossier,
                scores=[s for s in scores if s is not None],
                convenience=convenience or 0,
                overall=overall or 0,
                comment=request.POST.get("comment", ""),
            )
        except DomainError as exc:
            context["error"] = exc.message
            return render(request, "web/dossiers/rate.html", context, status=400)
        messages.success(request, _("Cảm ơn bạn đã đánh giá."))
        return HttpResponseRedirect(reverse("web:dossier", kwargs={"code": code}) + "#danh-gia")
    return render(request, "web/dossiers/rate.html", context)


# --- the document store ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def document_store(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context: dict[str, Any] = {}
    if request.method == "POST":
        uploaded = request.FILES.get("tep")
        if uploaded is None:
            context["error"] = _("Vui lòng chọn tệp cần tải lên.")
        else:
            try:
                attachments.store_upload(
                    owner=user, uploaded_file=uploaded, title=request.POST.get("ten", "")
                )
            except DomainError as exc:
                context["error"] = exc.message
        if "error" not in context:
            messages.success(request, _("Đã lưu giấy tờ vào kho."))
            return HttpResponseRedirect(reverse("web:document_store"))
        context["title"] = request.POST.get("ten", "")
    context["page"] = pages.store_page(user, request.GET.get("page"))
    return render(request, "web/dossiers/store.html", context, status=400 if "error" in context else 200)


@login_required
@require_GET
def stored_document(request: HttpRequest, document_id: int) -> HttpResponseBase:
    document = selectors.my_documents(_user(request)).filter(pk=document_id).first()
    if document is None:
        raise NotFound(_("Không tìm thấy giấy tờ trong kho của bạn."))
    return _serve(document)


@login_required
@require_POST
def stored_document_delete(request: HttpRequest, document_id: int) -> HttpResponse:
    try:
        attachments.delete_document(owner=_user(request), document_id=document_id)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã xóa giấy tờ."))
    return HttpResponseRedirect(reverse("web:document_store"))


# --- notices --------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        one = request.POST.get("id", "")
        services.mark_notifications_read(user=user, ids=[int(one)] if one.isdigit() else None)
        return HttpResponseRedirect(reverse("web:notifications"))
    return render(
        request,
        "web/dossiers/notifications.html",
        {"page": pages.notifications_page(user, request.GET.get("page"))},
    )


# --- the public look-up ---------------------------------------------------------------------------------------


def _lookup_keys(request: HttpRequest, code: str) -> list[str]:
    digest = hashlib.sha256(code.strip().upper().encode()).hexdigest()[:32]
    return [f"dossier-lookup:ip:{client_ip(request) or '-'}", f"dossier-lookup:code:{digest}"]


def _lookup_blocked(keys: list[str]) -> bool:
    return any(int(cache.get(key) or 0) >= LOOKUP_ATTEMPTS for key in keys)


def _lookup_failed(keys: list[str]) -> None:
    for key in keys:
        if cache.add(key, 1, LOOKUP_WINDOW_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, LOOKUP_WINDOW_SECONDS)


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """A dossier's progress for whoever knows its code and the applicant's identification number; no
    personal data, the same answer whether the code or the number is wrong, and a limit on failed attempts per
    address and per code."""
    context: dict[str, Any] = {"code": request.POST.get("code", "").strip()[:60]}
    if request.method == "GET":
        context["code"] = request.GET.get("ma", "").strip()[:60]
        return render(request, "web/dossiers/lookup.html", context)
    keys = _lookup_keys(request, context["code"])
    if _lookup_blocked(keys):
        minutes = max(1, LOOKUP_WINDOW_SECONDS // 60)
        context["error"] = _("Bạn đã tra cứu không đúng quá nhiều lần. Vui lòng thử lại sau %(n)d phút.") % {
            "n": minutes
        }
        return render(request, "web/dossiers/lookup.html", context, status=429)
    try:
        context["result"] = selectors.public_lookup(
            code=context["code"], id_number=request.POST.get("id_number", "")
        )
    except NotFound as exc:
        _lookup_failed(keys)
        context["error"] = exc.message
        return render(request, "web/dossiers/lookup.html", context, status=404)
    context["now"] = timezone.now()
    return render(request, "web/dossiers/lookup.html", context)
