"""Public statistics API (`/api/v1/stats/…`): the units, a unit's figures and index, its monthly series and the
rankings. The same selectors and row builders as the statistics pages and their downloads
(`stats.selectors.summary`, `monthly_rows`, `ranking`; `IndexScore.group_results`, `indicator_results`), so the
API, the pages and the open data always give the same rows; answers are cached for `STATS_CACHE_SECONDS` (0:
never). A bad period (`BadPeriod`) and an unknown unit are domain errors, answered by the API's problem
handler."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field as PydanticField

from dichvucong.stats import quality, selectors
from dichvucong.stats.caching import cached
from dichvucong.stats.selectors import Period, Unit

from .schemas import Problem

router = Router(tags=["Thống kê"])


# --- schemas ------------------------------------------------------------------------------------------------------


class UnitOut(Schema):
    slug: str = PydanticField(
        description="Mã đơn vị trong địa chỉ: rỗng (toàn quốc), tinh-01, bo-BCA, co-quan-123"
    )
    scope: str = PydanticField(description="Phạm vi số liệu: VN, P:<mã tỉnh>, M:<mã bộ>, A:<mã cơ quan>")
    level: str = PydanticField(description="N toàn quốc, P tỉnh, M bộ ngành, A cơ quan")
    name: str


class PeriodOut(Schema):
    key: str = PydanticField(description="2026, 2026-Q3 hoặc 2026-11")
    label: str
    first_month: dt.date
    last_month: dt.date


class IndicatorOut(Schema):
    code: str
    group: str
    name: str
    formula: str
    points: float = PydanticField(description="Điểm tối đa của chỉ tiêu")
    numerator: int
    denominator: int
    ratio: float | None = PydanticField(description="Tỷ lệ 0–1; null: không áp dụng trong kỳ")
    score: float | None


class GroupOut(Schema):
    code: str
    name: str
    points: float = PydanticField(description="Điểm tối đa của nhóm (cấu hình)")
    score: float | None = PydanticField(description="Điểm đạt; null: không có chỉ tiêu nào áp dụng")
    applicable_points: float


class IndexOut(Schema):
    total: float | None = PydanticField(description="Tổng điểm trên 100, quy về các chỉ tiêu áp dụng")
    classification: str
    groups: list[GroupOut]
    indicators: list[IndicatorOut]


class FiguresOut(Schema):
    unit: UnitOut
    period: PeriodOut
    figures: dict[str, int | None] = PydanticField(
        description="Các số liệu công bố, cộng dồn trong kỳ, theo mã chỉ tiêu (0 khi không có); null: số liệu chỉ "
        "có cho toàn quốc (accounts, visits) của một đơn vị khác"
    )
    labels: dict[str, str] = PydanticField(description="Tên các số liệu công bố")
    derived_labels: dict[str, str] = PydanticField(description="Tên các số liệu tính ra (derived)")
    derived: dict[str, float | None] = PydanticField(
        description="Tỷ lệ (0–1), điểm hài lòng trung bình (trên 18), chi phí xã hội tiết kiệm (đồng)"
    )
    satisfaction_classification: str
    index: IndexOut


class MonthOut(Schema):
    month: str = PydanticField(description="YYYY-MM")
    figures: dict[str, int | None] = PydanticField(
        description="Mọi số liệu công bố của tháng, theo mã chỉ tiêu (0 khi không có; null: số liệu chỉ có cho toàn "
        "quốc của một đơn vị khác)"
    )


class MonthlyOut(Schema):
    unit: UnitOut
    period: PeriodOut
    months: list[MonthOut]


class RankedOut(Schema):
    rank: int | None = PydanticField(description="null: không có chỉ tiêu nào áp dụng, không xếp hạng")
    unit: UnitOut
    total: float | None
    classification: str
    groups: dict[str, float | None]


class RankingOut(Schema):
    level: str
    period: PeriodOut
    items: list[RankedOut]


class UnitParams(Schema):
    don_vi: str = PydanticField(
        "", max_length=60, description="Đơn vị: rỗng (toàn quốc), tinh-<mã tỉnh>, bo-<mã bộ>, co-quan-<mã>"
    )
    ky: str | None = PydanticField(
        None,
        max_length=10,
        description="Kỳ: năm (2026), quý (2026-Q3) hoặc tháng (2026-11); mặc định năm nay",
    )


class RankingParams(Schema):
    cap: Literal["tinh", "bo"] = PydanticField(
        "tinh", description="tinh: các tỉnh, thành phố; bo: các bộ, ngành"
    )
    ky: str | None = PydanticField(None, max_length=10, description="Kỳ: 2026, 2026-Q3 hoặc 2026-11")


# --- helpers -------------------------------------------------------------------------------------------------------


def _unit_out(unit: Unit) -> dict[str, Any]:
    return {"slug": unit.slug, "scope": unit.scope, "level": unit.level, "name": unit.name}


def _period_out(span: Period) -> dict[str, Any]:
    return {"key": span.key, "label": span.label, "first_month": span.first, "last_month": span.last}


def _index_out(index: quality.IndexScore) -> dict[str, Any]:
    return {
        "total": index.total,
        "classification": index.classification,
        "groups": [asdict(g) for g in index.group_results()],
        "indicators": [asdict(i) for i in index.indicator_results()],
    }


# --- operations ------------------------------------------------------------------------------------------------------


@router.get(
    "/units",
    response=list[UnitOut],
    summary="Các đơn vị có số liệu thống kê",
    description="Toàn quốc, các tỉnh, thành phố và các bộ, ngành, với mã dùng trong tham số `don_vi`.",
)
def units(request: HttpRequest) -> list[dict[str, Any]]:
    def build() -> dict[str, Any]:
        found = [selectors.national_unit(), *selectors.provinces(), *selectors.ministries()]
        return {"items": [_unit_out(u) for u in found]}

    return list(cached("api", ("units",), build)["items"])


@router.get(
    "/figures",
    response={200: FiguresOut, 400: Problem, 404: Problem, 422: Problem},
    summary="Số liệu và chỉ số của một đơn vị trong một kỳ",
    description="Hồ sơ tiếp nhận, giải quyết (trước hạn, đúng hạn, quá hạn), trực tuyến, thanh toán trực tuyến, "
    "phản ánh, kiến nghị, đánh giá, tài khoản và lượt truy cập; các tỷ lệ, điểm hài lòng trung bình, chi phí xã hội "
    "tiết kiệm và chỉ số phục vụ người dân, doanh nghiệp với từng chỉ tiêu. `figures` gồm đúng các số liệu công bố "
    "(như trang /thong-ke/ và tệp so-lieu), 0 khi không có; tài khoản và lượt truy cập chỉ đếm cho toàn quốc nên là "
    "null với tỉnh, bộ, cơ quan. Các số liệu chỉ dùng để tính chỉ số (lệ phí, số hóa …) có trong tử số, mẫu số của "
    "`index.indicators`.",
)
def figures(request: HttpRequest, params: Query[UnitParams]) -> dict[str, Any]:
    span = selectors.period(params.ky)

    def build() -> dict[str, Any]:
        unit = selectors.unit_get(params.don_vi.strip())
        summary = selectors.summary(unit, span)
        return {
            "unit": _unit_out(unit),
            "period": _period_out(span),
            "figures": selectors.published_figures(summary),
            "labels": selectors.metric_labels(),
            "derived_labels": selectors.derived_labels(),
            "derived": summary.derived,
            "satisfaction_classification": summary.satisfaction_classification,
            "index": _index_out(summary.index),
        }

    return cached("api", ("figures", params.don_vi.strip(), span.key), build)


@router.get(
    "/monthly",
    response={200: MonthlyOut, 400: Problem, 404: Problem, 422: Problem},
    summary="Số liệu theo tháng của một đơn vị",
    description="Mỗi tháng của kỳ đến tháng hiện tại (cả tháng không có số liệu; các tháng chưa đến không có), "
    "với mọi số liệu công bố của tháng đó (0 khi không có; tài khoản và lượt truy cập null với tỉnh, bộ, cơ quan): "
    "cùng các dòng với tệp dữ liệu mở theo-thang.",
)
def monthly(request: HttpRequest, params: Query[UnitParams]) -> dict[str, Any]:
    span = selectors.period(params.ky)

    def build() -> dict[str, Any]:
        unit = selectors.unit_get(params.don_vi.strip())
        rows = selectors.monthly_rows(unit.scope, span)
        return {
            "unit": _unit_out(unit),
            "period": _period_out(span),
            "months": [{"month": row.key, "figures": row.figures} for row in rows],
        }

    return cached("api", ("monthly", params.don_vi.strip(), span.key), build)


@router.get(
    "/ranking",
    response={200: RankingOut, 400: Problem, 422: Problem},
    summary="Xếp hạng các tỉnh, thành phố hoặc các bộ, ngành",
    description="Theo chỉ số phục vụ người dân, doanh nghiệp (trên 100), cao nhất trước; đơn vị không có chỉ tiêu "
    "nào áp dụng đứng cuối với rank null.",
)
def ranking(request: HttpRequest, params: Query[RankingParams]) -> dict[str, Any]:
    span = selectors.period(params.ky)
    level = selectors.RANKING_LEVELS[params.cap]

    def build() -> dict[str, Any]:
        items = [
            {
                "rank": r.rank,
                "unit": _unit_out(r.unit),
                "total": r.total,
                "classification": r.classification,
                "groups": r.groups,
            }
            for r in selectors.ranking(level, span)
        ]
        return {"level": level, "period": _period_out(span), "items": items}

    return cached("api", ("ranking", params.cap, span.key), build)
