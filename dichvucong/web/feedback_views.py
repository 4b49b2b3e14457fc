"""Pages of feedback and petitions (phản ánh, kiến nghị): the form, a feedback (its sender sees everything,
anyone else only a published answer's public texts), the rating of the answer, the look-up by code and phone,
the published answers and the signed-in person's own list. Each view reads the request, calls one service
(writes) or `feedback_pages` (reads) and renders; a refused value comes back next to its input, in the user's
language, with everything typed kept.

Who counts as the sender: the signed-in owner (`selectors.feedback_for_owner`), or a browser that sent it or
looked it up by code and phone in this session. The session keeps the code with the phone given, and the
look-up is asked again on each visit, so the sender's rights never outlive what the look-up itself allows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dichvucong.accounts.models import User
from dichvucong.core.audit import client_ip
from dichvucong.core.errors import DomainError, NotFound, ValidationFailed
from dichvucong.feedback import selectors, services, states
from dichvucong.feedback.models import Feedback, Satisfaction

from . import feedback_forms as forms
from . import feedback_pages as pages

# The codes this browser may read as their sender, with the phone given: {code: phone}, the latest last.
LOOKED_UP = "feedback_looked_up"
MAX_REMEMBERED = 20
JUST_SENT = "feedback_just_sent"  # the code of the feedback just sent: its page shows the success banner
# Look-ups that found nothing, allowed per address in a window, then refused: a code and a phone are all it
# takes to read a feedback and its sender's details.
LOOKUP_ATTEMPTS = settings.FEEDBACK_LOOKUP_ATTEMPTS
LOOKUP_WINDOW_SECONDS = settings.FEEDBACK_LOOKUP_WINDOW_SECONDS
COMMENT_MAX_LENGTH = 2_000


def _user(request: HttpRequest) -> User | None:
    return request.user if request.user.is_authenticated else None


def _remember(request: HttpRequest, code: str, phone: str) -> None:
    known = {k: v for k, v in dict(request.session.get(LOOKED_UP) or {}).items() if k != code}
    known[code] = phone
    while len(known) > MAX_REMEMBERED:
        known.pop(next(iter(known)))
    request.session[LOOKED_UP] = known


def sender_feedback(request: HttpRequest, code: str) -> Feedback | None:
    """The feedback `code` if this request comes from its sender, else None."""
    code = code.strip().upper()
    user = _user(request)
    if user is not None:
        try:
            return selectors.feedback_for_owner(user, code)
        except NotFound:
            pass
    phone = dict(request.session.get(LOOKED_UP) or {}).get(code)
    if not phone:
        return None
    try:
        return selectors.lookup(code=code, phone=phone)
    except NotFound:
        return None


def _private(response: HttpResponse) -> HttpResponse:
    """A page with the sender's personal data: kept by no cache."""
    response["Cache-Control"] = "private, no-store"
    return response


# --- the form -----------------------------------------------------------------------------------------------


def _form_response(
    request: HttpRequest, form: forms.FeedbackForm, *, dossier_code: str = "", status: int = 200
) -> HttpResponse:
    page = pages.new_page(form, signed_in=_user(request) is not None, dossier_code=dossier_code)
    return _private(render(request, "web/feedback/new.html", {"page": page}, status=status))


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """The form (prefilled from the account, `?thu-tuc=` and `?ho-so=`); sending it gives the tracking code at
    once, on the feedback's page."""
    if request.method == "GET":
        values, dossier_code = forms.initial_values(request.user, request.GET)
        return _form_response(request, forms.FeedbackForm(values=values), dossier_code=dossier_code)
    values = forms.read(request.POST)
    files = request.FILES.getlist("attachments")
    if request.POST.get("action") == "refresh":  # without JavaScript: the communes and agencies of the place
        return _form_response(request, forms.FeedbackForm(values=values, files_dropped=len(files)))
    # A procedure named rather than coded is looked up; one not found is still sent to the service (which
    # refuses an unknown code), so that every other problem is reported at the same time.
    typed = values["procedure_code"]
    found = pages.find_procedure(typed) if typed else None
    try:
        feedback = services.submit_feedback(
            submission=forms.submission(values, procedure_code=found.code if found else typed),
            user=_user(request),
            attachments=files,
        )
    except DomainError as exc:
        form = forms.refused(values, exc, files_dropped=len(files))
        if typed and found is None and "procedure_code" in form.errors:
            form.errors["procedure_code"] = _(
                "Không tìm thấy thủ tục “%(text)s”. Vui lòng chọn thủ tục trong danh sách gợi ý hoặc nhập mã "
                "thủ tục (ví dụ 1.001193)."
            ) % {"text": typed}
        return _form_response(request, form, status=400)
    _remember(request, feedback.code, values["sender_phone"])
    request.session[JUST_SENT] = feedback.code
    return HttpResponseRedirect(reverse("web:feedback_detail", kwargs={"code": feedback.code}))


@require_GET
def agencies(request: HttpRequest) -> HttpResponse:
    """The agencies suggested for the procedure, field and place chosen so far, as radio buttons (htmx)."""
    choices = pages.agency_choices(forms.read(request.GET))
    return render(request, "web/feedback/_agencies.html", {"choices": choices})


@require_GET
def procedures(request: HttpRequest) -> HttpResponse:
    """Procedures matching what is typed in the procedure input, as the <option>s of its list (htmx)."""
    found = pages.procedure_suggestions(request.GET.get("procedure_code", ""))
    return render(request, "web/feedback/_procedure_options.html", {"procedures": found})


# --- a feedback ---------------------------------------------------------------------------------------------


def _sender_response(
    request: HttpRequest,
    feedback: Feedback,
    *,
    just_sent: bool = False,
    rating_form: pages.RatingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    page = pages.sender_page(feedback, just_sent=just_sent, rating_form=rating_form)
    return _private(render(request, "web/feedback/detail.html", {"page": page}, status=status))


@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """The sender's feedback in full; for anyone else, a published answer's public texts; otherwise 404."""
    feedback = sender_feedback(request, code)
    if feedback is None:
        return render(request, "web/feedback/public.html", {"item": pages.public_page(code)})
    just_sent = request.session.get(JUST_SENT) == feedback.code
    if just_sent:
        del request.session[JUST_SENT]
    return _sender_response(request, feedback, just_sent=just_sent)


def _rating_error(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed) and exc.errors:
        return " ".join(error.message for error in exc.errors)
    return exc.message


@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    """The sender rates the answer (again, to change it)."""
    feedback = sender_feedback(request, code)
    if feedback is None:
        raise NotFound(_("Không tìm thấy phản ánh, kiến nghị %(code)s.") % {"code": code[:30]})
    satisfaction = request.POST.get("satisfaction", "")
    comment = request.POST.get("comment", "").replace("\r\n", "\n").strip()[:COMMENT_MAX_LENGTH]
    error, status = "", 400
    if feedback.status not in states.ANSWERED:
        error, status = _("Phản ánh chưa có kết quả xử lý nên chưa đánh giá được."), 409
    elif satisfaction not in Satisfaction.values:
        error = _("Vui lòng chọn mức độ hài lòng của bạn.")
    else:
        try:
            services.rate(feedback_id=feedback.pk, satisfaction=satisfaction, comment=comment)
        except NotFound:
            raise
        except DomainError as exc:
            error, status = _rating_error(exc), exc.status
    if error:
        form = pages.RatingForm(satisfaction=satisfaction, comment=comment, error=error)
        return _sender_response(request, feedback, rating_form=form, status=status)
    messages.success(request, _("Cảm ơn bạn đã đánh giá kết quả xử lý."))
    return HttpResponseRedirect(reverse("web:feedback_detail", kwargs={"code": feedback.code}) + "#danh-gia")


# --- the look-up --------------------------------------------------------------------------------------------


def _miss_key(request: HttpRequest) -> str:
    return f"feedback-lookup:ip:{client_ip(request) or '-'}"


def _blocked(key: str) -> bool:
    return int(cache.get(key) or 0) >= LOOKUP_ATTEMPTS


def _missed(key: str) -> None:
    if cache.add(key, 1, LOOKUP_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, LOOKUP_WINDOW_SECONDS)


def _lookup_response(request: HttpRequest, form: forms.LookupForm, *, status: int = 200) -> HttpResponse:
    return render(request, "web/feedback/lookup.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Find one's feedback by its code and the phone number given when sending it; the same answer whichever
    is wrong, and a limit on misses per address."""
    if request.method == "GET":
        code = "".join(request.GET.get("ma", "").split()).upper()[:30]
        return _lookup_response(request, forms.LookupForm(code=code))
    form = forms.lookup_form(request.POST)
    if form.errors:
        return _lookup_response(request, form, status=400)
    key = _miss_key(request)
    if _blocked(key):
        error = _("Bạn đã tra cứu không đúng quá nhiều lần. Vui lòng thử lại sau %(n)d phút.") % {
            "n": max(1, LOOKUP_WINDOW_SECONDS // 60)
        }
        return _lookup_response(request, forms.LookupForm(form.code, form.phone, {"code": error}), status=429)
    try:
        feedback = selectors.lookup(code=form.code, phone=form.phone)
    except NotFound:
        _missed(key)
        error = _(
            "Không tìm thấy phản ánh, kiến nghị có mã và số điện thoại này. Vui lòng kiểm tra lại mã phản ánh "
            "và số điện thoại bạn đã ghi khi gửi."
        )
        return _lookup_response(
            request, forms.LookupForm(form.code, form.phone, {"phone": error}), status=404
        )
    _remember(request, feedback.code, form.phone)
    return HttpResponseRedirect(reverse("web:feedback_detail", kwargs={"code": feedback.code}))


# --- lists --------------------------------------------------------------------------------------------------


@require_GET
def published(request: HttpRequest) -> HttpResponse:
    """The published answers, newest first, searchable and filtered by agency."""
    return render(request, "web/feedback/list.html", {"page": pages.list_page(request.GET)})


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The signed-in person's feedback, newest first."""
    user: Any = request.user
    page = pages.my_page(user, request.GET.get("trang"))
    return _private(render(request, "web/feedback/mine.html", {"page": page}))
