"""HTML pages of the relying-party sandbox, in Vietnamese, built with :func:`html.escape`.

Every page says plainly that it is a sandbox, works at 360 px, and carries a Content-Security-Policy that
allows nothing but its own inline style (pinned by hash). A personal identification number is never shown
whole."""

from __future__ import annotations

import re
from datetime import date
from html import escape
from typing import Any

from sandboxes.idp.web import Response
from sandboxes.layout import html_page

from .store import Session

SITE_NAME = "Cổng Dịch vụ công tỉnh mẫu"
SANDBOX_LABEL = f"{SITE_NAME} — môi trường thử nghiệm"
PROVIDER_NAME = "Cổng Dịch vụ công quốc gia"
CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:1rem;
line-height:1.5;color:#1a1a1a;background:#f4f5f7}
.banner{background:#0b5345;color:#fff;padding:.75rem 1rem}
.banner p{margin:0 auto;max-width:40rem}
.brand{font-weight:700;font-size:1.125rem}
.warn{background:#fff4ce;color:#3b2f00;padding:.5rem 1rem;border-bottom:1px solid #e0c96a}
.warn p{margin:0 auto;max-width:40rem}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.375rem;line-height:1.3;margin:.5rem 0 1rem}
h2{font-size:1.125rem;margin:1.5rem 0 .5rem}
.card{background:#fff;border:1px solid #d0d4da;border-radius:.5rem;padding:1rem;margin-bottom:1rem}
.card>h2:first-child{margin-top:0}
.button{display:inline-block;font-size:1rem;padding:.625rem 1.25rem;border-radius:.375rem;
border:1px solid #0b5345;background:#0b5345;color:#fff;cursor:pointer;text-decoration:none;text-align:center}
a:focus,.button:focus{outline:3px solid #1d4ed8;outline-offset:2px}
dl{margin:0;display:grid;grid-template-columns:minmax(7rem,auto) 1fr;gap:.25rem .75rem}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
.error{border-left:4px solid #b00020;background:#fdecee;color:#5f0010;padding:.75rem 1rem;margin-bottom:1rem}
.notice{border-left:4px solid #1d4ed8;background:#e8efff;color:#102a66;padding:.75rem 1rem;margin-bottom:1rem}
code{font-family:ui-monospace,Consolas,monospace;overflow-wrap:anywhere}
footer{max-width:40rem;margin:1rem auto 2rem;padding:0 1rem;color:#4a4f57;font-size:.875rem}
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}
"""

# Claims shown to the person, in this order, with their labels; the technical ones follow.
CLAIM_LABELS = {
    "name": "Họ và tên",
    "birthdate": "Ngày sinh",
    "gender": "Giới tính",
    "citizen_id": "Số định danh cá nhân",
    "citizen_id_verified": "Số định danh đã xác thực",
    "phone_number": "Số điện thoại",
    "email": "Thư điện tử",
    "address": "Địa chỉ",
}
TECHNICAL = {
    "sub": "Mã người dùng (sub)",
    "sid": "Mã phiên tại Cổng quốc gia (sid)",
    "amr": "Cách xác thực (amr)",
}
HIDDEN = {
    "iss", "aud", "exp", "iat", "nbf", "auth_time", "nonce", "at_hash", "c_hash", "azp", "jti", "acr",
    "identity_assurance_level", "family_name", "given_name", "preferred_username", "phone_number_verified",
    "email_verified",
}  # fmt: skip
GENDERS = {"male": "Nam", "female": "Nữ"}
_CITIZEN_ID = re.compile(r"\d{12}")


def mask_citizen_id(value: str) -> str:
    """ "001090012345" → "001******345"; anything else is masked whole."""
    number = "".join(value.split())
    return f"{number[:3]}******{number[-3:]}" if _CITIZEN_ID.fullmatch(number) else "*" * len(number)


def mask_phone(value: str) -> str:
    """ "+84912345678" → "+84912***678": enough to recognise one's own number."""
    return f"{value[:-6]}***{value[-3:]}" if len(value) >= 9 else "*" * len(value)


def assurance_label(acr: str) -> str:
    """ "urn:dichvucong:loa:2" → "Mức 2 (urn:dichvucong:loa:2)"."""
    level = acr.rsplit(":", 1)[-1]
    return f"Mức {level} ({acr})" if level.isdigit() else acr or "Không rõ"


def _value(name: str, value: Any) -> str:
    """A claim's value as text for the page (masked where it must be)."""
    if name == "citizen_id":
        return mask_citizen_id(str(value))
    if name == "phone_number":
        return mask_phone(str(value))
    if name == "gender":
        return GENDERS.get(str(value), str(value))
    if name == "birthdate":
        try:
            return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, dict):
        return str(value.get("formatted") or ", ".join(str(v) for v in value.values() if v))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _rows(claims: dict[str, Any], labels: dict[str, str]) -> str:
    return "\n".join(
        f"<dt>{escape(label)}</dt><dd>{escape(_value(name, claims[name]))}</dd>"
        for name, label in labels.items()
        if claims.get(name) not in (None, "", [], {})
    )


def html_response(
    title: str, body: str, status: int = 200, headers: list[tuple[str, str]] | None = None
) -> Response:
    """Wrap a page body in the common layout (sandbox banner and warning) and send it uncached."""
    return html_page(
        title=title,
        label=SANDBOX_LABEL,
        warning_html=f"""Đây là cổng giả lập của một tỉnh, dùng để thử đăng nhập một lần và đăng xuất một lần
với {escape(PROVIDER_NAME)}. <strong>Không phải cổng thật.</strong>""",
        footer="Bên nhận xác thực (OpenID Connect) thử nghiệm của Cổng Dịch vụ công – chỉ dùng cho phát triển và kiểm thử.",
        css=CSS,
        body=body,
        status=status,
        headers=headers,
    )


def signed_out_page(notice: str = "") -> Response:
    """The home page of someone not signed in here."""
    notice_html = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    body = f"""<h1>{escape(SITE_NAME)}</h1>
{notice_html}
<section class="card" aria-labelledby="dang-nhap-tieu-de">
<h2 id="dang-nhap-tieu-de">Đăng nhập</h2>
<p>Dùng tài khoản của {escape(PROVIDER_NAME)} để làm thủ tục tại cổng của tỉnh, không cần tạo tài khoản mới.</p>
<p><a class="button" id="dang-nhap" href="/login">Đăng nhập bằng tài khoản {escape(PROVIDER_NAME)}</a></p>
</section>"""
    return html_response("Trang chủ", body)


def signed_in_page(session: Session) -> Response:
    """The home page of someone signed in: who they are, what the portal told us, and a way out."""
    claims = session.claims
    name = str(claims.get("name") or claims.get("preferred_username") or session.sub)
    body = f"""<h1 id="xin-chao">Xin chào, {escape(name)}</h1>
<p>Bạn đã đăng nhập bằng tài khoản {escape(PROVIDER_NAME)}.</p>
<section class="card" aria-labelledby="muc-dinh-danh-tieu-de">
<h2 id="muc-dinh-danh-tieu-de">Mức định danh</h2>
<p id="muc-dinh-danh">{escape(assurance_label(str(claims.get("acr", ""))))}</p>
</section>
<section class="card" aria-labelledby="thong-tin-tieu-de">
<h2 id="thong-tin-tieu-de">Thông tin nhận được từ {escape(PROVIDER_NAME)}</h2>
<dl id="thong-tin">
{_rows(claims, CLAIM_LABELS)}
{_rows(claims, {k: k for k in sorted(claims) if k not in CLAIM_LABELS and k not in TECHNICAL and k not in HIDDEN})}
{_rows(claims, TECHNICAL)}
</dl>
</section>
<form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="{escape(session.csrf_token)}">
<button class="button" type="submit" id="dang-xuat">Đăng xuất</button>
</form>
<p>Đăng xuất tại đây cũng đăng xuất bạn khỏi {escape(PROVIDER_NAME)} và các cổng khác đã đăng nhập cùng.</p>"""
    return html_response("Tài khoản", body)


def error_page(message: str, detail: str = "", status: int = 400) -> Response:
    """A sign-in that could not be completed; the person can start again."""
    detail_html = f"<p>Chi tiết kỹ thuật: <code>{escape(detail)}</code></p>" if detail else ""
    body = f"""<h1>Không đăng nhập được</h1>
<div class="error" role="alert"><p>{escape(message)}</p></div>
{detail_html}
<p><a href="/">Về trang chủ</a> và thử đăng nhập lại.</p>"""
    return html_response("Lỗi", body, status)
