"""HTML pages of sandbox-bank, in Vietnamese, on the shared sandbox layout (every page says it is a sandbox):
the VNPAY-like card pages, the MoMo-like wallet page, the end of a payment, errors, and the home page with the
test cards, wallets, recent payments and the IPN queue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from sandboxes.idp.web import Response
from sandboxes.layout import html_page

from . import accounts
from .records import Ipn, Payment
from .signing import GMT7

LABEL = "sandbox-bank — Ngân hàng và ví điện tử thử nghiệm"
MERCHANT_NAME = "Cổng Dịch vụ công quốc gia"
CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:1rem;
line-height:1.5;color:#1a1a1a;background:#f2f4f8}
.banner{background:#0b3a75;color:#fff;padding:.75rem 1rem}
.banner p{margin:0 auto;max-width:56rem}
.brand{font-weight:700;font-size:1.125rem}
.warn{background:#fff4ce;color:#3b2f00;padding:.5rem 1rem;border-bottom:1px solid #e0c96a}
.warn p{margin:0 auto;max-width:56rem}
main{max-width:56rem;margin:0 auto;padding:1rem}
h1{font-size:1.375rem;line-height:1.3;margin:.5rem 0 1rem}
h2{font-size:1.125rem;margin:1.25rem 0 .5rem}
.card{background:#fff;border:1px solid #d0d4da;border-radius:.5rem;padding:1rem;margin-bottom:1rem;overflow-x:auto}
.card>h2:first-child{margin-top:0}
.vnpay{border-top:4px solid #005baa}
.momo{border-top:4px solid #a50064}
table{border-collapse:collapse;width:100%;font-size:.9375rem}
th,td{text-align:left;padding:.375rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{font-weight:600;background:#f8f9fa}
dl{margin:0;display:grid;grid-template-columns:minmax(9rem,auto) 1fr;gap:.25rem .75rem}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input,select{font:inherit;width:100%;max-width:28rem;padding:.5rem;border:1px solid #8a919c;border-radius:.25rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:1rem}
.button{font-size:1rem;padding:.5rem 1.25rem;border-radius:.375rem;border:1px solid #005baa;background:#005baa;
color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
.momo .button{border-color:#a50064;background:#a50064}
.button.secondary,.momo .button.secondary{background:#fff;color:#1a1a1a;border-color:#8a919c}
a:focus,.button:focus,input:focus,select:focus{outline:3px solid #1d4ed8;outline-offset:2px}
.amount{font-size:1.5rem;font-weight:700}
.error{border-left:4px solid #b00020;background:#fdecee;color:#5f0010;padding:.75rem 1rem;margin-bottom:1rem}
.hint{color:#4a4f57;font-size:.9375rem}
code{font-family:ui-monospace,Consolas,monospace;overflow-wrap:anywhere}
footer{max-width:56rem;margin:1rem auto 2rem;padding:0 1rem;color:#4a4f57;font-size:.875rem}
@media (max-width:30rem){dl{grid-template-columns:1fr}}
"""


def page(title: str, body: str, status: int = 200) -> Response:
    return html_page(
        title=title,
        label=LABEL,
        warning_html="""Đây là cổng thanh toán <strong>giả lập</strong> (sandbox) để thử thanh toán trên Cổng Dịch vụ
công. Không nhập thẻ hay ví thật: chỉ các thẻ và ví thử nghiệm dưới đây được chấp nhận, không có tiền thật nào
được chuyển.""",
        footer="sandbox-bank – chỉ dùng cho phát triển và kiểm thử.",
        css=CSS,
        body=body,
        status=status,
    )


def money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


def local(moment: datetime | None) -> str:
    return escape(f"{moment.astimezone(GMT7):%d/%m/%Y %H:%M:%S}") if moment else "—"


def _error(message: str) -> str:
    return f'<p class="error" role="alert" id="loi">{escape(message)}</p>' if message else ""


def _order(payment: Payment) -> str:
    expiry = f"<dt>Hết hạn lúc</dt><dd>{local(payment.expires_at)}</dd>" if payment.expires_at else ""
    return f"""<dl><dt>Đơn vị chấp nhận</dt><dd>{escape(MERCHANT_NAME)}</dd>
<dt>Mã giao dịch</dt><dd><code id="ma-giao-dich">{escape(payment.order_ref)}</code></dd>
<dt>Nội dung</dt><dd>{escape(payment.order_info)}</dd>
<dt>Số tiền</dt><dd class="amount" id="so-tien">{money(payment.amount)}</dd>{expiry}</dl>"""


def _field(name: str, label: str, value: str = "", **attributes: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attributes.items())
    return f'<label for="{name}">{escape(label)}</label><input id="{name}" name="{name}" value="{escape(value)}"{extra}>'


def _cards_help() -> str:
    rows = "".join(
        f"<tr><td><code>{c.number}</code></td><td>{escape(c.bank)}</td><td>{escape(c.holder)}</td><td>{c.issued}</td>"
        f"<td>{escape(c.outcome)}</td></tr>"
        for c in accounts.CARDS.values()
    )
    return f"""<details><summary>Thẻ thử nghiệm (OTP: <code>{accounts.OTP}</code>)</summary><table id="the-thu">
<thead><tr><th>Số thẻ</th><th>Ngân hàng</th><th>Chủ thẻ</th><th>Ngày phát hành</th><th>Kết quả</th></tr></thead>
<tbody>{rows}</tbody></table></details>"""


def vnpay_error(code: str, message: str, status: int = 400) -> Response:
    body = f"""<section class="card vnpay"><h1>Thông báo từ cổng thanh toán</h1>
<p class="error" role="alert" id="loi">{escape(message)}</p><p>Mã lỗi: <code id="ma-loi">{escape(code)}</code></p>
<p class="hint">Giao dịch chưa được thực hiện. Vui lòng quay lại website của đơn vị chấp nhận thanh toán.</p></section>"""
    return page("Lỗi giao dịch", body, status)


def vnpay_card_page(
    payment: Payment, values: Mapping[str, str] | None = None, error: str = "", status: int = 200
) -> Response:
    values = values or {}
    options = "".join(
        f'<option value="{code}"{" selected" if values.get("bank", "NCB") == code else ""}>{escape(name)}</option>'
        for code, name in accounts.BANKS.items()
    )
    body = f"""<section class="card vnpay"><h1>Thanh toán qua thẻ ATM / tài khoản ngân hàng nội địa</h1>
{_order(payment)}</section>
<section class="card vnpay"><h2>Thông tin thẻ</h2>{_error(error)}
<form method="post" action="/paymentv2/thanh-toan/{escape(payment.token)}">
<label for="bank">Ngân hàng</label><select id="bank" name="bank">{options}</select>
{_field("card_number", "Số thẻ", values.get("card_number", ""), inputmode="numeric", autocomplete="off")}
{_field("card_holder", "Tên chủ thẻ (không dấu)", values.get("card_holder", ""), autocomplete="off")}
{_field("issued", "Ngày phát hành (MM/YY)", values.get("issued", ""), placeholder="07/15")}
<div class="actions"><button class="button" type="submit" name="action" value="pay" id="tiep-tuc">Tiếp tục</button>
<button class="button secondary" type="submit" name="action" value="cancel" id="huy">Hủy thanh toán</button></div>
</form>{_cards_help()}</section>"""
    return page("Thanh toán", body, status)


def vnpay_otp_page(payment: Payment, masked_card: str, error: str = "", status: int = 200) -> Response:
    body = f"""<section class="card vnpay"><h1>Xác thực giao dịch</h1>{_order(payment)}</section>
<section class="card vnpay">{_error(error)}
<p>Mã OTP đã được gửi tới số điện thoại đăng ký của thẻ <code>{escape(masked_card)}</code>
(thử nghiệm: <code>{accounts.OTP}</code>).</p>
<form method="post" action="/paymentv2/thanh-toan/{escape(payment.token)}/otp">
{_field("otp", "Mã OTP", "", inputmode="numeric", autocomplete="one-time-code")}
<div class="actions"><button class="button" type="submit" name="action" value="pay" id="thanh-toan">Thanh toán</button>
<button class="button secondary" type="submit" name="action" value="cancel" id="huy">Hủy thanh toán</button></div>
</form></section>"""
    return page("Xác thực OTP", body, status)


def momo_error(message: str, status: int = 400) -> Response:
    body = f"""<section class="card momo"><h1>Không thể thanh toán</h1>
<p class="error" role="alert" id="loi">{escape(message)}</p></section>"""
    return page("Lỗi giao dịch", body, status)


def momo_page(payment: Payment, phone: str = "", error: str = "", status: int = 200) -> Response:
    wallets = "".join(
        f"<tr><td><code>{w.phone}</code></td><td>{escape(w.owner)}</td><td>{money(w.balance)}</td></tr>"
        for w in accounts.WALLETS.values()
    )
    body = f"""<section class="card momo"><h1>Thanh toán bằng ví điện tử (giống MoMo)</h1>{_order(payment)}</section>
<section class="card momo"><h2>Đăng nhập ví</h2>{_error(error)}
<form method="post" action="/momo/thanh-toan/{escape(payment.token)}">
{_field("phone", "Số điện thoại của ví", phone, inputmode="tel", autocomplete="off")}
{_field("otp", "Mã xác thực (OTP)", "", inputmode="numeric", autocomplete="one-time-code")}
<div class="actions"><button class="button" type="submit" name="action" value="pay" id="xac-nhan">Xác nhận thanh toán</button>
<button class="button secondary" type="submit" name="action" value="cancel" id="huy">Hủy</button></div></form>
<details><summary>Ví thử nghiệm (OTP: <code>{accounts.OTP}</code>)</summary><table id="vi-thu">
<thead><tr><th>Số điện thoại</th><th>Chủ ví</th><th>Số dư</th></tr></thead><tbody>{wallets}</tbody></table>
</details></section>"""
    return page("Thanh toán bằng ví", body, status)


def finished_page(payment: Payment, back: str) -> Response:
    """A payment page opened again after the payment ended: its result, and the way back to the merchant."""
    result = "Thanh toán thành công" if payment.status == "success" else "Giao dịch không thành công"
    body = f"""<section class="card"><h1>Giao dịch đã kết thúc</h1>{_order(payment)}
<p id="ket-qua">{escape(result)} (mã <code>{escape(payment.result_code)}</code>).</p>
<p><a class="button" href="{escape(back)}" id="quay-lai">Quay lại {escape(MERCHANT_NAME)}</a></p></section>"""
    return page("Giao dịch đã kết thúc", body)


def _last_status(attempts: Sequence[Any]) -> str:
    if not attempts:
        return "—"
    status = attempts[-1]["status"]
    return "không kết nối được" if status is None else str(status)


def home_page(
    payments: Sequence[Payment],
    ipns: Sequence[tuple[Ipn, Payment, Sequence[Any]]],
    controls: Mapping[str, Any],
) -> Response:
    rows = "".join(
        f"<tr><td>{'VNPAY' if p.protocol == 'vnpay' else 'MoMo'}</td><td><code>{escape(p.order_ref)}</code></td>"
        f"<td>{money(p.amount)}</td><td>{escape(p.status)} {escape(p.result_code)}</td>"
        f"<td><code>{escape(p.transaction_no)}</code></td><td>{local(p.finished_at or p.created_at)}</td></tr>"
        for p in payments
    )
    queue = "".join(
        f"<tr><td>{ipn.id}</td><td><code>{escape(p.order_ref)}</code> ({ipn.copy})</td><td>{escape(ipn.state)}</td>"
        f"<td>{ipn.attempts}</td><td>{_last_status(attempts)}</td>"
        f"<td>{local(ipn.sent_at or ipn.next_attempt_at)}</td></tr>"
        for ipn, p, attempts in reversed(ipns[-50:])
    )
    switches = ", ".join(f"{escape(k)} = {escape(str(v))}" for k, v in sorted(controls.items())) or "mặc định"
    body = f"""<h1>sandbox-bank</h1>
<section class="card"><h2>Cách dùng</h2><p>Cổng gửi người nộp tới trang thanh toán giống VNPAY
(<code>/paymentv2/vpcpay.html</code>, ký HMAC-SHA512) hoặc tạo giao dịch ví giống MoMo
(<code>/v2/gateway/api/create</code>, ký HMAC-SHA256). Kết quả được báo về Cổng bằng IPN (gửi lại đến khi
Cổng xác nhận) và trình duyệt được đưa về trang của Cổng. Điều khiển thử nghiệm: <code>/_sandbox/…</code>
(JSON). Đang đặt: {switches}.</p>{_cards_help()}</section>
<section class="card"><h2>Giao dịch gần đây</h2><table id="giao-dich"><thead><tr><th>Loại</th><th>Mã giao dịch</th>
<th>Số tiền</th><th>Kết quả</th><th>Số giao dịch</th><th>Thời gian</th></tr></thead><tbody>{rows}</tbody></table></section>
<section class="card"><h2>IPN gửi về Cổng</h2><table id="ipn"><thead><tr><th>#</th><th>Giao dịch (bản)</th>
<th>Tình trạng</th><th>Số lần gửi</th><th>HTTP gần nhất</th><th>Thời điểm</th></tr></thead><tbody>{queue}</tbody>
</table></section>"""
    return page("Trang chủ", body)
