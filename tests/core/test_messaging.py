import json
import smtplib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured

from dichvucong.core import messaging
from dichvucong.core.errors import DomainError
from dichvucong.core.messaging import (
    ConsoleSmsBackend,
    DeliveryFailed,
    FileSmsBackend,
    HttpSmsBackend,
    MemorySmsBackend,
    SmsMessage,
    get_sms_backend,
    send_email,
    send_sms,
)

SENT_AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
OTP = SmsMessage(to="0912345678", text="Mã xác thực của bạn là 123456", purpose="otp", sent_at=SENT_AT)


@pytest.fixture(autouse=True)
def _empty_outbox() -> Iterator[None]:
    messaging.outbox.clear()
    yield
    messaging.outbox.clear()


# --- Backends -------------------------------------------------------------------------------------------------


def test_console_backend_prints_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleSmsBackend().send(OTP)
    assert capsys.readouterr().out == "[SMS otp] to 0912345678: Mã xác thực của bạn là 123456\n"


def test_memory_backend_keeps_messages_in_the_outbox() -> None:
    MemorySmsBackend().send(OTP)
    assert messaging.outbox == [OTP]


def test_file_backend_appends_json_lines_and_creates_directories(tmp_path: Path, settings: Any) -> None:
    settings.SMS_FILE_PATH = tmp_path / "nested" / "messages" / "sms.jsonl"
    backend = FileSmsBackend()
    backend.send(OTP)
    backend.send(SmsMessage(to="0987654321", text="Hồ sơ đã có kết quả", purpose="dossier-status"))

    lines = settings.SMS_FILE_PATH.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["to"] for line in lines] == ["0912345678", "0987654321"]
    assert json.loads(lines[0]) == {
        "to": "0912345678",
        "text": "Mã xác thực của bạn là 123456",
        "purpose": "otp",
        "sent_at": "2026-11-23T03:00:00+00:00",
    }
    assert "Mã xác thực" in lines[0]  # readable Vietnamese, not \\u escapes


def test_file_backend_file_is_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "sms.jsonl"
    FileSmsBackend(path).send(OTP)
    assert path.stat().st_mode & 0o077 == 0


def test_file_backend_defaults_to_var_messages(tmp_path: Path, settings: Any) -> None:
    del settings.SMS_FILE_PATH
    settings.VAR_DIR = tmp_path
    FileSmsBackend().send(OTP)
    assert (tmp_path / "messages" / "sms.jsonl").exists()


_APPENDER = """
import sys
from datetime import UTC, datetime
from dichvucong.core.messaging import FileSmsBackend, SmsMessage
backend = FileSmsBackend(sys.argv[1])
for n in range(100):
    backend.send(SmsMessage(to="0912345678", text=sys.argv[2] * 10000 + str(n), purpose="otp",
                            sent_at=datetime(2026, 1, 1, tzinfo=UTC)))
"""


def test_file_backend_lines_stay_whole_when_processes_append_at_once(tmp_path: Path) -> None:
    path = tmp_path / "sms.jsonl"
    writers = [subprocess.Popen([sys.executable, "-c", _APPENDER, str(path), letter]) for letter in "abcd"]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0, 0, 0]

    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 400
    texts = [json.loads(line)["text"] for line in lines]  # every line parses: none was interleaved
    assert all(len(set(text.rstrip("0123456789"))) == 1 for text in texts)
    assert {text[0] for text in texts} == set("abcd")


@dataclass
class Gateway:
    """A stand-in SMS gateway: records each request and answers with `status`."""

    url: str
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
            )
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"to": "+84912345678", "text": "echoed back"}')

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


def test_http_backend_posts_json_with_a_bearer_token(gateway: Gateway) -> None:
    HttpSmsBackend(url=gateway.url, token="secret-token").send(OTP)

    [request] = gateway.requests
    assert request["path"] == "/sms/send"
    assert request["headers"]["Authorization"] == "Bearer secret-token"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"] == {
        "to": "+84912345678",
        "text": "Mã xác thực của bạn là 123456",
        "purpose": "otp",
    }


def test_http_backend_reads_the_gateway_from_settings(gateway: Gateway, settings: Any) -> None:
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_TOKEN = "from-settings"
    HttpSmsBackend().send(OTP)
    assert gateway.requests[0]["headers"]["Authorization"] == "Bearer from-settings"


def test_http_backend_waits_at_most_ten_seconds(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    real_post = requests.post

    def spy(*args: Any, **kwargs: Any) -> requests.Response:
        seen.update(kwargs)
        return real_post(*args, **kwargs)

    monkeypatch.setattr(requests, "post", spy)
    HttpSmsBackend(url=gateway.url, token="t").send(OTP)
    assert seen["timeout"] == 10


def test_http_backend_raises_delivery_failed_on_an_error_status(gateway: Gateway) -> None:
    gateway.status = 500
    with pytest.raises(DeliveryFailed) as failure:
        HttpSmsBackend(url=gateway.url, token="t").send(OTP)
    assert failure.value.detail == "SMS gateway answered 500"
    assert "0912345678" not in str(failure.value)
    assert "123456" not in str(failure.value)


def test_http_backend_raises_delivery_failed_when_the_gateway_is_down() -> None:
    with socket.socket() as sock:  # a port that nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DeliveryFailed):
        HttpSmsBackend(url=f"http://127.0.0.1:{port}/", token="t").send(OTP)


def test_http_backend_needs_url_and_token(settings: Any) -> None:
    settings.SMS_GATEWAY_URL = ""
    settings.SMS_GATEWAY_TOKEN = ""
    with pytest.raises(ImproperlyConfigured):
        HttpSmsBackend()


def test_delivery_failed_is_a_domain_error_with_a_vietnamese_message() -> None:
    error = DeliveryFailed("SMS gateway answered 503")
    assert isinstance(error, DomainError)
    assert (error.status, error.code) == (502, "delivery-failed")
    assert error.message == "Không gửi được tin nhắn. Vui lòng thử lại sau ít phút."


# --- Choosing the backend and sending -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "backend_class"),
    [
        ("dichvucong.core.messaging.MemorySmsBackend", MemorySmsBackend),
        ("dichvucong.core.messaging.FileSmsBackend", FileSmsBackend),
        ("dichvucong.core.messaging.ConsoleSmsBackend", ConsoleSmsBackend),
    ],
)
def test_get_sms_backend_honours_the_setting(settings: Any, path: str, backend_class: type) -> None:
    settings.SMS_BACKEND = path
    assert isinstance(get_sms_backend(), backend_class)


def test_get_sms_backend_defaults_to_the_console(settings: Any) -> None:
    del settings.SMS_BACKEND
    assert isinstance(get_sms_backend(), ConsoleSmsBackend)


def test_send_sms_goes_through_the_configured_backend(settings: Any) -> None:
    settings.SMS_BACKEND = "dichvucong.core.messaging.MemorySmsBackend"
    send_sms(to="0912345678", text="Mã xác thực: 654321", purpose="otp")

    [message] = messaging.outbox
    assert (message.to, message.text, message.purpose) == ("0912345678", "Mã xác thực: 654321", "otp")
    assert message.sent_at.tzinfo is not None


def test_send_sms_through_the_http_gateway(settings: Any, gateway: Gateway) -> None:
    settings.SMS_BACKEND = "dichvucong.core.messaging.HttpSmsBackend"
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_TOKEN = "t"
    send_sms(to="0387654321", text="Hồ sơ đã có kết quả", purpose="dossier-status")
    assert gateway.requests[0]["body"]["to"] == "+84387654321"


def test_send_sms_needs_the_national_form(settings: Any) -> None:
    settings.SMS_BACKEND = "dichvucong.core.messaging.MemorySmsBackend"
    with pytest.raises(ValueError):
        send_sms(to="+84912345678", text="x", purpose="otp")
    assert messaging.outbox == []


# --- E-mail -----------------------------------------------------------------------------------------------------


def test_send_email_uses_the_default_sender(settings: Any, mailoutbox: list[Any]) -> None:
    settings.DEFAULT_FROM_EMAIL = "Cổng Dịch vụ công <no-reply@dichvucong.example>"
    send_email(
        to="an.nguyen@example.vn", subject="Hồ sơ đã được tiếp nhận", body="Mã hồ sơ H01.02-260101-0001"
    )

    [mail] = mailoutbox
    assert mail.from_email == "Cổng Dịch vụ công <no-reply@dichvucong.example>"
    assert mail.to == ["an.nguyen@example.vn"]
    assert (mail.subject, mail.body) == ("Hồ sơ đã được tiếp nhận", "Mã hồ sơ H01.02-260101-0001")


def test_send_email_turns_a_mail_server_failure_into_delivery_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> int:
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")

    monkeypatch.setattr(messaging, "send_mail", refuse)
    with pytest.raises(DeliveryFailed) as failure:
        send_email(to="an.nguyen@example.vn", subject="s", body="b")
    assert failure.value.message == "Không gửi được thư điện tử. Vui lòng thử lại sau ít phút."
