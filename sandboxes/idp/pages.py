"""HTML pages of the sandbox, in Vietnamese, built with :func:`html.escape` (no template engine needed).

Every page says plainly that this is a sandbox, works at 360 px width, labels each field, and carries a
Content-Security-Policy that allows nothing but its own inline style (pinned by hash)."""

from __future__ import annotations

from datetime import date
from html import escape

from sandboxes.layout import html_page

from .citizens import Citizen, CitizenRegistry
from .web import Response

SANDBOX_LABEL = "VNeID – môi trường thử nghiệm (sandbox)"
CLIENT_DISPLAY_NAME = "Cổng Dịch vụ công Quốc gia"
SCOPE_LABELS = {
    "profile": "họ tên, ngày sinh, giới tính",
    "citizen_id": "số định danh cá nhân",
    "phone": "số điện thoại",
    "email": "địa chỉ thư điện tử",
    "address": "địa chỉ nơi cư trú",
}
CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:1rem;
line-height:1.5;color:#1a1a1a;background:#f4f5f7}
.banner{background:#a50e0e;color:#fff;padding:.75rem 1rem}
.banner p{margin:0;max-width:34rem;margin-inline:auto}
.brand{font-weight:700;font-size:1.125rem}
.warn{background:#fff4ce;color:#3b2f00;padding:.5rem 1rem;border-bottom:1px solid #e0c96a}
.warn p{margin:0 auto;max-width:34rem}
main{max-width:34rem;margin:0 auto;padding:1rem}
h1{font-size:1.375rem;line-height:1.3;margin:.5rem 0 1rem}
h2{font-size:1.125rem;margin:2rem 0 .5rem}
.card{background:#fff;border:1px solid #d0d4da;border-radius:.5rem;padding:1rem}
.field{margin-bottom:1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
.hint{margin:0 0 .25rem;color:#4a4f57;font-size:.9375rem}
input{width:100%;font-size:1rem;padding:.625rem .75rem;border:1px solid #6b7280;border-radius:.375rem}
input[aria-invalid=true]{border:2px solid #b00020}
input:focus,button:focus,a:focus{outline:3px solid #1d4ed8;outline-offset:2px}
.actions{display:flex;flex-wrap:wrap;gap:.75rem}
button{font-size:1rem;padding:.625rem 1.25rem;border-radius:.375rem;border:1px solid #a50e0e;
background:#a50e0e;color:#fff;cursor:pointer;flex:1 1 10rem}
button.secondary{background:#fff;color:#a50e0e}
.error{border-left:4px solid #b00020;background:#fdecee;color:#5f0010;padding:.75rem 1rem;margin-bottom:1rem}
.notice{border-left:4px solid #1d4ed8;background:#e8efff;color:#102a66;padding:.75rem 1rem;margin-bottom:1rem}
.citizens{list-style:none;padding:0;margin:0;display:grid;gap:.5rem}
.citizens li{background:#fff;border:1px solid #d0d4da;border-radius:.375rem;padding:.5rem .75rem}
code{font-family:ui-monospace,Consolas,monospace;font-size:1rem;word-break:break-all}
footer{max-width:34rem;margin:1rem auto 2rem;padding:0 1rem;color:#4a4f57;font-size:.875rem}
"""


def html_response(title: str, body: str, status: int = 200) -> Response:
    """Wrap a page body in the common layout (sandbox banner and warning) and send it uncached."""
    return html_page(
        title=title,
        label=SANDBOX_LABEL,
        warning_html="""Đây là hệ thống giả lập dùng để thử nghiệm, <strong>không phải VNeID thật</strong>.
Chỉ dùng các tài khoản thử nghiệm bên dưới, không nhập thông tin thật.""",
        footer="Máy chủ định danh giả lập (OpenID Connect) của Cổng Dịch vụ công – chỉ dùng cho phát triển và kiểm thử.",
        css=CSS,
        body=body,
        status=status,
    )


def _citizen_item(citizen: Citizen) -> str:
    """One test citizen in the list: name, number, account level, sex and birth date."""
    born = date.fromisoformat(citizen.birthdate).strftime("%d/%m/%Y")
    sex = "Nam" if citizen.gender == "male" else "Nữ"
    return (
        f"<li><strong>{escape(citizen.name)}</strong><br>"
        f"Số định danh cá nhân: <code>{escape(citizen.citizen_id)}</code><br>"
        f"Tài khoản mức độ {citizen.level} · {sex} · sinh ngày {born}</li>"
    )


def citizens_section(registry: CitizenRegistry) -> str:
    """The list of test citizens and their shared password, so that anyone trying the demo can sign in."""
    items = "\n".join(_citizen_item(c) for c in registry.citizens)
    return f"""<section aria-labelledby="cong-dan-thu-nghiem">
<h2 id="cong-dan-thu-nghiem">Công dân thử nghiệm</h2>
<p>Mật khẩu chung cho mọi tài khoản thử nghiệm: <code>{escape(registry.password)}</code></p>
<ul class="citizens">
{items}
</ul>
</section>"""


def login_page(
    *,
    action: str,
    request_id: str,
    csrf_token: str,
    scopes: tuple[str, ...],
    registry: CitizenRegistry,
    citizen_id: str = "",
    error: str = "",
    required_level: int = 1,
    status: int = 200,
) -> Response:
    """The sign-in form: personal identification number and password, then the test citizens."""
    wanted = [SCOPE_LABELS[s] for s in scopes if s in SCOPE_LABELS]
    purpose = f" và nhận các thông tin: {escape('; '.join(wanted))}" if wanted else ""
    notice = ""
    if required_level >= 2:
        notice = (
            '<p class="notice">Dịch vụ này yêu cầu <strong>tài khoản định danh điện tử mức độ 2</strong>.</p>'
        )
    error_html = (
        f'<div class="error" id="loi-dang-nhap" role="alert"><p>{escape(error)}</p></div>' if error else ""
    )
    invalid = ' aria-invalid="true"' if error else ""
    described = "citizen_id-hint loi-dang-nhap" if error else "citizen_id-hint"
    body = f"""<h1>Đăng nhập bằng tài khoản định danh điện tử</h1>
<p>{escape(CLIENT_DISPLAY_NAME)} đề nghị xác thực danh tính của bạn{purpose}.</p>
{notice}
{error_html}
<form class="card" method="post" action="{escape(action)}">
<input type="hidden" name="request_id" value="{escape(request_id)}">
<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">
<div class="field">
<label for="citizen_id">Số định danh cá nhân</label>
<p class="hint" id="citizen_id-hint">Gồm 12 chữ số, in trên thẻ căn cước.</p>
<input id="citizen_id" name="citizen_id" type="text" inputmode="numeric" autocomplete="username"
 maxlength="12" pattern="[0-9]{{12}}" required value="{escape(citizen_id)}" aria-describedby="{described}"{invalid}>
</div>
<div class="field">
<label for="password">Mật khẩu</label>
<input id="password" name="password" type="password" autocomplete="current-password" required{invalid}>
</div>
<div class="actions">
<button type="submit" name="action" value="login">Đăng nhập</button>
<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Hủy và quay lại dịch vụ</button>
</div>
</form>
{citizens_section(registry)}"""
    return html_response("Đăng nhập", body, status)


def error_page(message: str, detail: str = "", status: int = 400) -> Response:
    """An error the sandbox must not send back to the client (unknown client, unregistered redirect URI, ...)."""
    detail_html = f"<p>Chi tiết kỹ thuật: <code>{escape(detail)}</code></p>" if detail else ""
    body = f"""<h1>Không thể tiếp tục đăng nhập</h1>
<div class="error" role="alert"><p>{escape(message)}</p></div>
{detail_html}
<p>Vui lòng quay lại trang của dịch vụ và thử lại.</p>"""
    return html_response("Lỗi", body, status)


def logged_out_page(note: str = "") -> Response:
    """Shown after logout when there is no (allowed) address to return to."""
    note_html = f"<p>{escape(note)}</p>" if note else ""
    body = f"""<h1>Bạn đã đăng xuất khỏi VNeID (sandbox)</h1>
<p>Phiên đăng nhập của bạn tại máy chủ định danh thử nghiệm đã kết thúc.</p>
{note_html}"""
    return html_response("Đã đăng xuất", body)


def home_page(registry: CitizenRegistry, discovery_url: str) -> Response:
    """Landing page: what this server is, where its configuration lives, and who can sign in."""
    body = f"""<h1>Máy chủ định danh thử nghiệm VNeID</h1>
<p>Máy chủ OpenID Connect giả lập Hệ thống định danh và xác thực điện tử (VNeID) cho môi trường phát triển.
Cấu hình: <a href="{escape(discovery_url)}">{escape(discovery_url)}</a></p>
{citizens_section(registry)}"""
    return html_response("Giới thiệu", body)
