"""The sandbox's test cards (VNPAY-like page) and test wallets (MoMo-like page), and what paying with each
does. The first card is the one VNPAY's own sandbox publishes for its test bank NCB."""

from __future__ import annotations

from dataclasses import dataclass

OTP = "123456"  # the one-time password every test card and wallet accepts
MAX_OTP_ATTEMPTS = 3


@dataclass(frozen=True)
class Card:
    number: str
    bank: str
    holder: str
    issued: str  # MM/YY, as printed on the card
    response_code: str  # VNPAY's vnp_ResponseCode for a payment with this card ("00": paid)
    outcome: str  # what the page says it does

    @property
    def masked(self) -> str:
        return f"{self.number[:6]}******{self.number[-4:]}"


CARDS = {
    card.number: card
    for card in (
        Card("9704198526191432198", "NCB", "NGUYEN VAN A", "07/15", "00", "Thanh toán thành công"),
        Card("9704195798459170488", "NCB", "NGUYEN VAN A", "07/15", "51", "Tài khoản không đủ số dư"),
        Card("9704192181368742", "NCB", "NGUYEN VAN A", "07/15", "12", "Thẻ bị khóa"),
    )
}
# The banks the page offers; only NCB issues test cards (as in VNPAY's sandbox).
BANKS = {
    "NCB": "Ngân hàng TMCP Quốc Dân (NCB)",
    "VCB": "Ngân hàng TMCP Ngoại thương Việt Nam (Vietcombank)",
    "BIDV": "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam (BIDV)",
}
# VNPAY's response codes the sandbox produces, with their meaning.
VNPAY_CODES = {
    "00": "Giao dịch thành công",
    "11": "Đã hết hạn chờ thanh toán",
    "12": "Thẻ/Tài khoản của khách hàng bị khóa",
    "13": "Nhập sai mật khẩu xác thực giao dịch (OTP) quá số lần quy định",
    "24": "Khách hàng hủy giao dịch",
    "51": "Tài khoản không đủ số dư để thực hiện giao dịch",
    "99": "Lỗi không xác định (sandbox: giao dịch được cho thất bại)",
}


@dataclass(frozen=True)
class Wallet:
    phone: str
    owner: str
    balance: int  # đồng; not debited, so that the demo never runs dry

    @property
    def masked(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-3:]}"


WALLETS = {
    wallet.phone: wallet
    for wallet in (
        Wallet("0912345678", "NGUYEN VAN AN", 50_000_000),
        Wallet("0987654321", "TRAN THI BINH", 0),
    )
}
# MoMo's resultCodes the sandbox produces.
MOMO_CODES = {
    0: "Thành công.",
    1001: "Giao dịch thanh toán thất bại do tài khoản người dùng không đủ tiền.",
    1002: "Giao dịch bị từ chối do nhà phát hành tài khoản thanh toán (sandbox: giao dịch được cho thất bại).",
    1005: "Giao dịch thất bại do url hoặc QR code đã hết hạn.",
    1006: "Giao dịch thất bại do người dùng đã từ chối xác nhận thanh toán.",
}


def normalised_card(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def normalised_holder(name: str) -> str:
    return " ".join(name.upper().split())
