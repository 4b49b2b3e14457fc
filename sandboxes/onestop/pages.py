"""HTML pages of the one-stop sandbox (an officer's view), in Vietnamese, built with :func:`html.escape` on the
shared sandbox layout: every page says it is a sandbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from sandboxes.idp.web import Response
from sandboxes.layout import html_page

from . import workflow
from .store import Attachment, Dossier, HistoryEntry, Push

SYSTEM_NAME = "Hệ thống một cửa điện tử"
SANDBOX_LABEL = f"{SYSTEM_NAME} — sandbox"
CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:1rem;
line-height:1.5;color:#1a1a1a;background:#f4f5f7}
.banner{background:#7a2e0e;color:#fff;padding:.75rem 1rem}
.banner p{margin:0 auto;max-width:64rem}
.brand{font-weight:700;font-size:1.125rem}
.warn{background:#fff4ce;color:#3b2f00;padding:.5rem 1rem;border-bottom:1px solid #e0c96a}
.warn p{margin:0 auto;max-width:64rem}
main{max-width:64rem;margin:0 auto;padding:1rem}
h1{font-size:1.375rem;line-height:1.3;margin:.5rem 0 1rem}
h2{font-size:1.125rem;margin:1.5rem 0 .5rem}
.card{background:#fff;border:1px solid #d0d4da;border-radius:.5rem;padding:1rem;margin-bottom:1rem;overflow-x:auto}
.card>h2:first-child{margin-top:0}
table{border-collapse:collapse;width:100%;font-size:.9375rem}
th,td{text-align:left;padding:.375rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{font-weight:600;background:#f8f9fa}
.button{display:inline-block;font-size:1rem;padding:.5rem 1rem;border-radius:.375rem;border:1px solid #7a2e0e;
background:#7a2e0e;color:#fff;cursor:pointer;text-decoration:none;text-align:center}
.button.secondary{background:#fff;color:#7a2e0e}
a:focus,.button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #1d4ed8;outline-offset:2px}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input,select,textarea{font:inherit;width:100%;max-width:32rem;padding:.5rem;border:1px solid #8a919c;border-radius:.25rem}
.actions form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:0 0 .75rem}
.actions input{flex:1 1 16rem}
dl{margin:0;display:grid;grid-template-columns:minmax(9rem,auto) 1fr;gap:.25rem .75rem}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
.status{display:inline-block;padding:0 .5rem;border-radius:1rem;background:#e8efff;color:#102a66;font-size:.875rem}
.error{border-left:4px solid #b00020;background:#fdecee;color:#5f0010;padding:.75rem 1rem;margin-bottom:1rem}
.notice{border-left:4px solid #1d4ed8;background:#e8efff;color:#102a66;padding:.75rem 1rem;margin-bottom:1rem}
code{font-family:ui-monospace,Consolas,monospace;overflow-wrap:anywhere}
footer{max-width:64rem;margin:1rem auto 2rem;padding:0 1rem;color:#4a4f57;font-size:.875rem}
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}
"""
ORIGINS = {"portal": "Cổng DVC", "counter": "Tại quầy"}


def html_response(title: str, body: str, status: int = 200) -> Response:
    return html_page(
        title=title,
        label=SANDBOX_LABEL,
        warning_html="""Đây là hệ thống một cửa điện tử <strong>giả lập</strong> của một cơ quan, dùng để thử việc
nhận hồ sơ từ Cổng Dịch vụ công và báo trạng thái về Cổng. Không phải hệ thống thật; hồ sơ ở đây không được giải
quyết.""",
        footer=f"{SANDBOX_LABEL} – chỉ dùng cho phát triển và kiểm thử.",
        css=CSS,
        body=body,
        status=status,
    )


def _time(moment: datetime | None) -> str:
    return escape(f"{moment.astimezone(workflow.VN):%d/%m/%Y %H:%M:%S}") if moment else "—"


def _status(status: int) -> str:
    return f'<span class="status">{status} · {escape(workflow.STATUS_LABELS.get(status, "?"))}</span>'


def _hidden(csrf: str) -> str:
    return f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'


def _pushes_section(pending: Sequence[Push], failed: Sequence[Push], csrf: str) -> str:
    if not pending and not failed:
        return '<p id="gui-cong">Mọi cập nhật đã được gửi về Cổng Dịch vụ công.</p>'
    rows = []
    for push in [*pending, *failed]:
        what = "Trạng thái " + str(push.body.get("status", "")) if push.kind == "event" else "Tệp kết quả"
        state = "Đang chờ gửi" if push.state == "pending" else "Cổng từ chối"
        rows.append(
            f"""<tr><td><a href="/ho-so/{escape(push.code)}">{escape(push.code)}</a></td><td>{escape(what)}</td>
<td>{escape(state)}</td><td>{push.attempts}</td><td>{_time(push.next_attempt_at) if push.state == "pending" else "—"}</td>
<td><code>{escape(push.last_error or "")}</code></td>
<td><form method="post" action="/gui-lai/{push.id}">{_hidden(csrf)}
<button class="button secondary" type="submit">Gửi lại ngay</button></form></td></tr>"""
        )
    return f"""<p id="gui-cong">{len(pending)} cập nhật đang chờ gửi về Cổng Dịch vụ công, {len(failed)} bị Cổng từ chối.</p>
<table><thead><tr><th>Hồ sơ</th><th>Nội dung</th><th>Tình trạng</th><th>Số lần gửi</th><th>Gửi lại lúc</th>
<th>Lỗi gần nhất</th><th></th></tr></thead><tbody>{"".join(rows)}</tbody></table>"""


def home_page(
    dossiers: Sequence[Dossier],
    deliveries: Mapping[str, Sequence[Any]],
    pending: Sequence[Push],
    failed: Sequence[Push],
    csrf: str,
    *,
    agency_name: str,
    notice: str = "",
    down: bool = False,
    tests: Sequence[Mapping[str, Any]] = (),
) -> Response:
    rows = "\n".join(
        f"""<tr><td><a href="/ho-so/{escape(d.code)}">{escape(d.code)}</a></td>
<td>{escape(str(d.national.get("TenTTHC") or d.national.get("MaTTHC") or ""))}</td>
<td>{escape(str(d.national.get("ChuHoSo") or ""))}</td><td>{_status(d.status)}</td>
<td>{_time(d.received_at)}</td><td>{_time(d.due_at)}</td><td>{escape(ORIGINS.get(d.origin, d.origin))}</td>
<td>{len(deliveries.get(d.code, ()))}</td></tr>"""
        for d in dossiers
    )
    table = (
        f"""<table id="danh-sach"><thead><tr><th>Mã hồ sơ</th><th>Thủ tục</th><th>Chủ hồ sơ</th><th>Trạng thái</th>
<th>Tiếp nhận</th><th>Hẹn trả</th><th>Nguồn</th><th>Lượt nhận từ Cổng</th></tr></thead><tbody>{rows}</tbody></table>"""
        if dossiers
        else '<p id="danh-sach">Chưa có hồ sơ nào.</p>'
    )
    notice_html = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    body = f"""<h1>Hồ sơ của {escape(agency_name)}</h1>
{notice_html}
<p><a class="button" href="/tiep-nhan">Tiếp nhận hồ sơ tại quầy</a></p>
<section class="card" aria-labelledby="gui-cong-tieu-de"><h2 id="gui-cong-tieu-de">Gửi về Cổng Dịch vụ công</h2>
{_pushes_section(pending, failed, csrf)}</section>
<section class="card" aria-labelledby="ho-so-tieu-de"><h2 id="ho-so-tieu-de">Danh sách hồ sơ</h2>{table}</section>
{_testing_section(down, tests, csrf)}"""
    return html_response("Hồ sơ", body)


def _testing_section(down: bool, tests: Sequence[Mapping[str, Any]], csrf: str) -> str:
    """The outage switch, and the portal's test messages received (kept in memory, never stored as dossiers)."""
    state = (
        "Đang giả lập sự cố: mọi thông điệp từ Cổng bị từ chối."
        if down
        else "Đang nhận thông điệp bình thường."
    )
    button = "Tắt giả lập sự cố" if down else "Bật giả lập sự cố"
    rows = "".join(
        f"<tr><td>{escape(str(t.get('at', '')))}</td><td>{escape(str(t.get('kind', '')))}</td>"
        f"<td><code>{escape(str(t.get('summary', '')))}</code></td></tr>"
        for t in tests
    )
    received = (
        f'<table id="thu-nghiem"><thead><tr><th>Lúc</th><th>Loại</th><th>Nội dung</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        if tests
        else '<p id="thu-nghiem">Chưa nhận thông điệp thử nghiệm nào.</p>'
    )
    return f"""<section class="card" aria-labelledby="thu-nghiem-tieu-de">
<h2 id="thu-nghiem-tieu-de">Thử nghiệm kết nối</h2>
<p id="trang-thai-su-co">{escape(state)}</p>
<form method="post" action="/gia-lap-su-co">{_hidden(csrf)}<input type="hidden" name="down" value="{"0" if down else "1"}">
<button class="button secondary" type="submit">{escape(button)}</button></form>
<h3>Thông điệp thử nghiệm đã nhận (không lưu thành hồ sơ)</h3>{received}</section>"""


def _attachments(code: str, attachments: Sequence[Attachment]) -> str:
    if not attachments:
        return "<p>Không có tệp đính kèm.</p>"
    rows = []
    for a in attachments:
        if a.sha256:
            state = f'<a href="/ho-so/{escape(code)}/tep/{a.id}">Đã tải về</a>'
        elif a.error:
            state = f"Không tải được: <code>{escape(a.error)}</code>"
        elif a.url:
            state = "Đang tải…"
        else:
            state = "Không có đường dẫn tải"
        rows.append(
            f"""<tr><td>{escape(a.name)}</td><td>{escape(a.slot)}</td><td>{a.size if a.size is not None else "—"}</td>
<td><code>{escape(a.sha256 or "—")}</code></td><td>{state}</td></tr>"""
        )
    return f"""<table id="tep-dinh-kem"><thead><tr><th>Tệp</th><th>Thành phần</th><th>Cỡ (byte)</th><th>SHA-256</th>
<th>Tình trạng</th></tr></thead><tbody>{"".join(rows)}</tbody></table>"""


def _actions(dossier: Dossier, csrf: str) -> str:
    forms = []
    for status in workflow.NEXT_STATUSES.get(dossier.status, ()):
        required = status in workflow.CONTENT_REQUIRED
        field_id = f"noi-dung-{status}"
        label = "Lý do / nội dung (bắt buộc)" if required else "Nội dung (không bắt buộc)"
        forms.append(
            f"""<form method="post" action="/ho-so/{escape(dossier.code)}/trang-thai">{_hidden(csrf)}
<input type="hidden" name="status" value="{status}">
<input type="hidden" name="expected" value="{dossier.status}">
<div><label for="{field_id}">{escape(label)}</label>
<input id="{field_id}" name="content" {"required" if required else ""} placeholder="{escape(workflow.DEFAULT_CONTENT.get(status, ""))}"></div>
<button class="button" type="submit" id="chuyen-{status}">{escape(workflow.ACTIONS[status])}</button></form>"""
        )
    return "".join(forms) or "<p>Hồ sơ đã kết thúc.</p>"


def dossier_page(
    dossier: Dossier,
    attachments: Sequence[Attachment],
    history: Sequence[HistoryEntry],
    deliveries: Sequence[Any],
    csrf: str,
    error: str = "",
) -> Response:
    n = dossier.national
    fields = [
        ("Mã hồ sơ", dossier.code),
        ("Thủ tục", f"{n.get('MaTTHC', '')} – {n.get('TenTTHC', '')}"),
        ("Chủ hồ sơ", str(n.get("ChuHoSo") or "")),
        ("Loại đối tượng", {1: "Công dân", 2: "Tổ chức, doanh nghiệp"}.get(n.get("LoaiDoiTuong") or 0, "")),
        ("Số điện thoại", str(n.get("SoDienThoai") or "")),
        ("Thư điện tử", str(n.get("Email") or "")),
        ("Trích yếu", str(n.get("TrichYeuHoSo") or "")),
        ("Nguồn", ORIGINS.get(dossier.origin, dossier.origin)),
        ("Lượt nhận từ Cổng", str(len(deliveries))),
    ]
    rows = "\n".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in fields)
    form_data = n.get("DuLieuBieuMau") or {}
    form_rows = (
        "\n".join(f"<dt>{escape(str(k))}</dt><dd>{escape(str(v))}</dd>" for k, v in form_data.items())
        if isinstance(form_data, dict)
        else ""
    )
    result = (
        f'<p><a id="ket-qua" href="/ho-so/{escape(dossier.code)}/ket-qua.pdf">{escape(dossier.result_name or "Kết quả")}</a>'
        f" (số {escape(dossier.result_code or '')})</p>"
        if dossier.has_result
        else ""
    )
    steps = "\n".join(
        f"<tr><td>{_time(h.at)}</td><td>{_status(h.status)}</td><td>{escape(h.content)}</td><td>{escape(h.actor)}</td></tr>"
        for h in history
    )
    error_html = f'<div class="error" role="alert"><p>{escape(error)}</p></div>' if error else ""
    body = f"""<p><a href="/">← Danh sách hồ sơ</a></p>
<h1>Hồ sơ {escape(dossier.code)}</h1>
{error_html}
<p>Trạng thái: <span id="trang-thai">{_status(dossier.status)}</span> · Hẹn trả: {_time(dossier.due_at)}</p>
{result}
<section class="card actions" aria-labelledby="xu-ly-tieu-de"><h2 id="xu-ly-tieu-de">Xử lý</h2>{_actions(dossier, csrf)}</section>
<section class="card" aria-labelledby="thong-tin-tieu-de"><h2 id="thong-tin-tieu-de">Thông tin hồ sơ</h2><dl>{rows}</dl>
{f"<h2>Dữ liệu biểu mẫu</h2><dl>{form_rows}</dl>" if form_rows else ""}</section>
<section class="card" aria-labelledby="tep-tieu-de"><h2 id="tep-tieu-de">Giấy tờ nộp kèm</h2>{_attachments(dossier.code, attachments)}</section>
<section class="card" aria-labelledby="qua-trinh-tieu-de"><h2 id="qua-trinh-tieu-de">Quá trình xử lý</h2>
<table><thead><tr><th>Thời điểm</th><th>Trạng thái</th><th>Nội dung</th><th>Người xử lý</th></tr></thead>
<tbody>{steps}</tbody></table></section>"""
    return html_response(f"Hồ sơ {dossier.code}", body, 400 if error else 200)


COUNTER_FIELDS = (
    ("MaTTHC", "Mã thủ tục", "1.001193", True),
    ("TenTTHC", "Tên thủ tục", "Đăng ký khai sinh", True),
    ("ChuHoSo", "Chủ hồ sơ", "", True),
    ("MaDoiTuong", "Số định danh / mã số thuế", "", False),
    ("SoDienThoai", "Số điện thoại", "", False),
    ("Email", "Thư điện tử", "", False),
    ("TrichYeuHoSo", "Trích yếu", "", False),
)


def counter_page(csrf: str, values: Mapping[str, str] | None = None, error: str = "") -> Response:
    values = values or {}
    inputs = "\n".join(
        f"""<label for="{name}">{escape(label)}{" (bắt buộc)" if required else ""}</label>
<input id="{name}" name="{name}" value="{escape(values.get(name, default))}" {"required" if required else ""}>"""
        for name, label, default, required in COUNTER_FIELDS
    )
    kind = values.get("LoaiDoiTuong", "1")
    error_html = f'<div class="error" role="alert"><p>{escape(error)}</p></div>' if error else ""
    body = f"""<p><a href="/">← Danh sách hồ sơ</a></p>
<h1>Tiếp nhận hồ sơ tại quầy</h1>
{error_html}
<form method="post" action="/tiep-nhan" class="card">{_hidden(csrf)}
{inputs}
<label for="LoaiDoiTuong">Loại đối tượng</label>
<select id="LoaiDoiTuong" name="LoaiDoiTuong">
<option value="1"{" selected" if kind == "1" else ""}>Công dân</option>
<option value="2"{" selected" if kind == "2" else ""}>Tổ chức, doanh nghiệp</option></select>
<label for="SoNgayHen">Số ngày làm việc hẹn trả</label>
<input id="SoNgayHen" name="SoNgayHen" inputmode="numeric" value="{escape(values.get("SoNgayHen", "5"))}">
<label for="LePhi">Lệ phí (đồng)</label>
<input id="LePhi" name="LePhi" inputmode="numeric" value="{escape(values.get("LePhi", "0"))}">
<p><button class="button" type="submit" id="tiep-nhan">Tiếp nhận và gửi về Cổng</button></p>
</form>"""
    return html_response("Tiếp nhận hồ sơ", body, 400 if error else 200)


def error_page(message: str, status: int) -> Response:
    body = f"""<h1>Không thực hiện được</h1><div class="error" role="alert"><p>{escape(message)}</p></div>
<p><a href="/">Về danh sách hồ sơ</a></p>"""
    return html_response("Lỗi", body, status)
