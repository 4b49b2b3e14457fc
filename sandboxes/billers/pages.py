"""HTML pages of sandbox-billers, in Vietnamese, built with :func:`html.escape` on the shared sandbox layout:
the list of the six systems, and per system its bills, the webhooks it received and the look-ups it answered.
Every page says it is a sandbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sandboxes.idp.web import Response
from sandboxes.layout import html_page

from .config import System
from .store import Bill, Lookup, Webhook

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SANDBOX_LABEL = "Hệ thống thu của các cơ quan — sandbox"
STATUS_LABELS = {"open": "Chưa thanh toán", "paid": "Đã thanh toán", "cancelled": "Đã hủy"}
GROUP_LABELS = {
    "fine": "Xử phạt vi phạm hành chính",
    "tax": "Thuế",
    "insurance": "Bảo hiểm xã hội, bảo hiểm y tế",
    "electricity": "Tiền điện",
    "court": "Tạm ứng án phí",
    "fee": "Phí, lệ phí thủ tục hành chính",
}
CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:1rem;
line-height:1.5;color:#1a1a1a;background:#f4f5f7}
.banner{background:#0f5132;color:#fff;padding:.75rem 1rem}
.banner p{margin:0 auto;max-width:72rem}
.brand{font-weight:700;font-size:1.125rem}
.warn{background:#fff4ce;color:#3b2f00;padding:.5rem 1rem;border-bottom:1px solid #e0c96a}
.warn p{margin:0 auto;max-width:72rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.375rem;line-height:1.3;margin:.5rem 0 1rem}
h2{font-size:1.125rem;margin:1.5rem 0 .5rem}
.card{background:#fff;border:1px solid #d0d4da;border-radius:.5rem;padding:1rem;margin-bottom:1rem;overflow-x:auto}
.card>h2:first-child{margin-top:0}
table{border-collapse:collapse;width:100%;font-size:.9375rem}
th,td{text-align:left;padding:.375rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{font-weight:600;background:#f8f9fa}
td.money{text-align:right;white-space:nowrap}
a:focus{outline:3px solid #1d4ed8;outline-offset:2px}
.status{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.875rem;background:#e8efff;color:#102a66}
.status.paid{background:#d1e7dd;color:#0f5132}
.status.cancelled{background:#e2e3e5;color:#41464b}
.bad{color:#b00020;font-weight:600}
.error{border-left:4px solid #b00020;background:#fdecee;color:#5f0010;padding:.75rem 1rem;margin-bottom:1rem}
code{font-family:ui-monospace,Consolas,monospace;overflow-wrap:anywhere}
footer{max-width:72rem;margin:1rem auto 2rem;padding:0 1rem;color:#4a4f57;font-size:.875rem}
"""


def html_response(title: str, body: str, status: int = 200) -> Response:
    return html_page(
        title=title,
        label=SANDBOX_LABEL,
        warning_html="""Đây là các hệ thống thu <strong>giả lập</strong> của cơ quan nhà nước và doanh nghiệp
(cảnh sát giao thông, thuế, bảo hiểm xã hội, điện lực, tòa án, một cửa), dùng để thử việc tra cứu khoản phải nộp và
nhận thông báo thanh toán từ Cổng Dịch vụ công. Không phải hệ thống thật; mọi khoản ở đây đều là dữ liệu thử.""",
        footer=f"{SANDBOX_LABEL} – chỉ dùng cho phát triển và kiểm thử.",
        css=CSS,
        body=body,
        status=status,
    )


def error_page(message: str, status: int) -> Response:
    return html_response(
        "Lỗi", f'<h1>Không thực hiện được</h1><p class="error" role="alert">{escape(message)}</p>', status
    )


def money(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,}".replace(",", ".") + " đ"


def _time(moment: datetime | None) -> str:
    return escape(f"{moment.astimezone(VN):%d/%m/%Y %H:%M:%S}") if moment else "—"


def _status(status: str) -> str:
    return f'<span class="status {escape(status)}">{escape(STATUS_LABELS.get(status, status))}</span>'


def home_page(
    systems: Sequence[System], counts: Mapping[str, int], received: Mapping[str, int], base_url: str
) -> Response:
    rows = "\n".join(
        f"""<tr><td><a href="/{escape(s.slug)}/">{escape(s.name)}</a></td><td>{escape(s.agency)}</td>
<td>{escape(GROUP_LABELS.get(s.spec.group, s.spec.group))}</td><td><code>/{escape(s.slug)}/</code></td>
<td>{counts.get(s.slug, 0)}</td><td>{received.get(s.slug, 0)}</td></tr>"""
        for s in systems
    )
    body = f"""<h1>Các hệ thống thu (sandbox)</h1>
<p>Một tiến trình giả lập sáu hệ thống của cơ quan thu. Cổng Dịch vụ công tra cứu khoản phải nộp qua
<code>GET {escape(base_url)}/&lt;hệ thống&gt;/bills/&lt;mã&gt;</code> và báo khoản đã thanh toán qua
<code>POST {escape(base_url)}/&lt;hệ thống&gt;/webhooks</code>, cả hai ký theo Standard Webhooks.</p>
<section class="card"><table id="he-thong"><thead><tr><th>Hệ thống</th><th>Cơ quan</th><th>Nhóm dịch vụ</th>
<th>Đường dẫn</th><th>Số khoản</th><th>Thông báo đã nhận</th></tr></thead><tbody>{rows}</tbody></table></section>"""
    return html_response("Các hệ thống thu", body)


def _bills_table(bills: Sequence[Bill]) -> str:
    if not bills:
        return '<p id="khoan-phai-nop">Không có khoản nào.</p>'
    rows = "\n".join(
        f"""<tr><td><code>{escape(b.reference)}</code></td><td><code>{escape(str(b.data.get("code") or b.reference))}</code></td>
<td>{escape(str(b.data["title"]))}</td><td>{escape(str(b.data.get("payer_name") or ""))}</td>
<td class="money">{money(b.amount)}</td><td>{escape(str(b.data.get("due_date") or "—"))}</td><td>{_status(b.status)}</td>
<td>{_time(b.paid_at)}</td></tr>"""
        for b in bills
    )
    return f"""<table id="khoan-phai-nop"><thead><tr><th>Mã khoản</th><th>Mã tra cứu</th><th>Nội dung</th>
<th>Người nộp</th><th>Số tiền</th><th>Hạn nộp</th><th>Trạng thái</th><th>Thanh toán lúc</th></tr></thead>
<tbody>{rows}</tbody></table>"""


def _webhooks_table(webhooks: Sequence[Webhook]) -> str:
    if not webhooks:
        return '<p id="thong-bao">Chưa nhận thông báo nào từ Cổng.</p>'
    rows = []
    for w in reversed(webhooks):
        signature = "Hợp lệ" if w.verified else f'<span class="bad">Không hợp lệ</span>: {escape(w.error)}'
        rows.append(
            f"""<tr><td>{_time(w.received_at)}</td><td><code>{escape(w.webhook_id)}</code></td><td>{signature}</td>
<td><code>{escape(w.bill_reference or "—")}</code></td><td class="money">{money(w.amount)}</td>
<td>{w.deliveries}</td><td>{escape(w.outcome or "—")}</td></tr>"""
        )
    return f"""<table id="thong-bao"><thead><tr><th>Nhận lúc</th><th>webhook-id</th><th>Chữ ký</th><th>Khoản</th>
<th>Số tiền</th><th>Số lần nhận</th><th>Xử lý</th></tr></thead><tbody>{"".join(rows)}</tbody></table>"""


def _lookups_table(lookups: Sequence[Lookup]) -> str:
    if not lookups:
        return '<p id="tra-cuu">Chưa có lượt tra cứu nào.</p>'
    rows = "\n".join(
        f"""<tr><td>{_time(item.at)}</td><td><code>{escape(item.code)}</code></td>
<td>{"Hợp lệ" if item.verified else '<span class="bad">Không hợp lệ</span>'}</td>
<td>{escape(item.found) if item.found else "Không tìm thấy"}</td></tr>"""
        for item in lookups
    )
    return f"""<table id="tra-cuu"><thead><tr><th>Lúc</th><th>Mã tra cứu</th><th>Chữ ký</th><th>Kết quả</th></tr>
</thead><tbody>{rows}</tbody></table>"""


def system_page(
    system: System,
    bills: Sequence[Bill],
    webhooks: Sequence[Webhook],
    lookups: Sequence[Lookup],
    down: bool,
    base_url: str,
) -> Response:
    state = (
        '<p class="error" role="status">Hệ thống đang giả lập sự cố: Cổng sẽ nhận lỗi.</p>' if down else ""
    )
    body = f"""<p><a href="/">← Các hệ thống</a></p>
<h1>{escape(system.name)} – {escape(system.agency)}</h1>
{state}
<p>Nhóm dịch vụ: {escape(GROUP_LABELS.get(system.spec.group, system.spec.group))}. Mã tra cứu:
{escape(system.spec.code_label)}. Mã khóa (<code>x-dvc-key-id</code>): <code>{escape(system.key_id)}</code>.
Tra cứu: <code>GET {escape(base_url)}/{escape(system.slug)}/bills/&lt;mã&gt;</code>; thông báo:
<code>POST {escape(base_url)}/{escape(system.slug)}/webhooks</code>.</p>
<section class="card" aria-labelledby="khoan-tieu-de"><h2 id="khoan-tieu-de">Khoản phải nộp</h2>{_bills_table(bills)}</section>
<section class="card" aria-labelledby="thong-bao-tieu-de"><h2 id="thong-bao-tieu-de">Thông báo thanh toán nhận từ Cổng</h2>
{_webhooks_table(webhooks)}</section>
<section class="card" aria-labelledby="tra-cuu-tieu-de"><h2 id="tra-cuu-tieu-de">Lượt tra cứu gần đây</h2>
{_lookups_table(lookups)}</section>"""
    return html_response(system.name, body)
