"""The JSON APIs: one NinjaAPI, routers per domain, OpenAPI 3 at /api/openapi.json, docs at /api/docs."""

from ninja import NinjaAPI

from . import (
    agency,
    agency_payments,
    catalogue,
    officer,
    officer_dossiers,
    officer_feedback,
    officer_support,
    organisations,
    problems,
    stats,
)

api = NinjaAPI(
    title="dichvucong API",
    version="1",
    description="API của Cổng Dịch vụ công: công khai (thủ tục hành chính, hỏi đáp, cơ quan, đơn vị hành chính) "
    "và dành cho cán bộ (/v1/officer/…, phiên đăng nhập cán bộ có xác thực hai lớp). "
    "Lỗi trả về theo RFC 9457 (application/problem+json).",
    docs_url="/docs",
    urls_namespace="api",
)
problems.install(api)
api.add_router("/v1", catalogue.router)
api.add_router("/v1", organisations.router)
api.add_router("/v1", officer.router)
api.add_router("/v1", officer_dossiers.router)
api.add_router("/v1", officer_feedback.router)
api.add_router("/v1", officer_support.router)
api.add_router("/v1/stats", stats.router)
api.add_router("/v1/agency", agency.router)
api.add_router("/v1/agency/payments", agency_payments.router)
