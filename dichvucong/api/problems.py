"""RFC 9457 problem details for every error the JSON API returns."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from dichvucong.catalogue.validation import message_for
from dichvucong.core.errors import DomainError, ValidationFailed

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TITLES = {
    400: "Yêu cầu không hợp lệ",
    401: "Chưa xác thực",
    403: "Không có quyền",
    404: "Không tìm thấy",
    405: "Phương thức không được hỗ trợ",
    409: "Xung đột dữ liệu",
    410: "Không còn hiệu lực",
    413: "Yêu cầu quá lớn",
    415: "Loại tệp không được chấp nhận",
    422: "Dữ liệu không hợp lệ",
    429: "Quá nhiều yêu cầu",
    500: "Lỗi hệ thống",
}


def problem(
    request: HttpRequest,
    *,
    status: int,
    detail: str,
    type_: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": TITLES.get(status, "Lỗi"),
        "status": status,
        "detail": detail,
        "instance": request.get_full_path(),
    }
    if errors is not None:
        body["errors"] = errors
    return JsonResponse(
        body, status=status, content_type=PROBLEM_CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationFailed)
    def _validation_failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
        errors = [{"row": e.row, "column": e.column, "message": e.message} for e in exc.errors]
        return problem(
            request, status=422, detail=exc.message, type_="/problems/validation-failed", errors=errors
        )

    @api.exception_handler(DomainError)
    def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return problem(request, status=exc.status, detail=exc.message, type_=f"/problems/{exc.code}")

    @api.exception_handler(NinjaValidationError)
    def _invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {
                "location": ".".join(
                    str(p) for p in error.get("loc", ()) if p not in {"query", "path", "body"}
                ),
                "message": message_for(error),
            }
            for error in exc.errors
        ]
        return problem(
            request,
            status=422,
            detail="Tham số của yêu cầu không hợp lệ.",
            type_="/problems/invalid-parameters",
            errors=errors,
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(request, status=401, detail="Cần xác thực để gọi API này.")

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(request, status=exc.status_code, detail=str(exc))

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled API error on %s", request.path)
        return problem(request, status=500, detail="Đã có lỗi trong hệ thống; vui lòng thử lại sau.")
