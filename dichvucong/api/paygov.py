"""The national payment platform's interface for agencies' one-stop systems (INIT, QUERY, GET_BILL), under
settings.PAYGOV_PATH: what the messages mean and how they are signed is in `dichvucong.payments.paygov`.

Whether the national platform takes the three messages at one address (dispatching on LoaiBanTin) or at one
address each is not public (?), so both are served: `POST <PAYGOV_PATH>` for any of them, and
`POST <PAYGOV_PATH>init/`, `query/`, `get-bill/` for one each (case and the trailing slash do not matter).
GET_BILL answers JSON with the receipt in base64; `get-bill.pdf`, or `Accept: application/pdf` on either
address, answers the PDF itself for systems that save the answer as the file (a refusal is still JSON).
Every answer is HTTP 200: the callers read MaLoi, and some treat any other status as no answer.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from dichvucong.payments import paygov


def _json(body: dict[str, object], status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _wants_pdf(request: HttpRequest, pdf_address: bool) -> bool:
    accept = request.headers.get("accept", "")
    return pdf_address or ("application/pdf" in accept and "application/json" not in accept)


def _endpoint(expected: str | None, *, pdf_address: bool = False) -> Callable[[HttpRequest], HttpResponse]:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            response = _json(
                {"MaLoi": paygov.INVALID, "MoTaLoi": "Chỉ nhận bản tin gửi bằng POST (JSON)."}, 405
            )
            response["Allow"] = "POST"
            return response
        try:
            raw = request.body
        except RequestDataTooBig:
            return _json({"MaLoi": paygov.INVALID, "MoTaLoi": "Bản tin quá lớn."})
        answer = paygov.handle(raw, expected=expected, remote_ip=request.META.get("REMOTE_ADDR", ""))
        if answer.pdf is not None and _wants_pdf(request, pdf_address):
            pdf = HttpResponse(answer.pdf, content_type="application/pdf")
            pdf["Content-Disposition"] = f'attachment; filename="{answer.filename}"'
            pdf["Cache-Control"] = "private, no-store"
            return pdf
        response = _json(answer.body)
        response["Cache-Control"] = "no-store"
        return response

    return view


def _any_case(name: str) -> str:
    """A URL pattern matching `name` in any case, "-" or "_" alike: written with character classes because
    Django cannot reverse a pattern with an inline flag or an alternation."""
    return "".join(
        "[-_]" if ch in "-_" else f"[{ch.lower()}{ch.upper()}]" if ch.isalpha() else ch for ch in name
    )


urlpatterns = [
    re_path(r"^$", _endpoint(None), name="paygov"),
    re_path(rf"^{_any_case('init')}/?$", _endpoint(paygov.INIT), name="paygov_init"),
    re_path(rf"^{_any_case('query')}/?$", _endpoint(paygov.QUERY), name="paygov_query"),
    re_path(
        rf"^{_any_case('get-bill')}\.pdf$",
        _endpoint(paygov.GET_BILL, pdf_address=True),
        name="paygov_get_bill_pdf",
    ),
    re_path(rf"^{_any_case('get-bill')}/?$", _endpoint(paygov.GET_BILL), name="paygov_get_bill"),
]
