"""Demo feedback for `make run`: a few items in several states (two answers published, redacted, with the
senders' consent) and one Open311 client with a fixed key, so that Open311 can be tried at once. Idempotent
(items by title, the client by its key prefix); never run in production (`loaddemo` refuses).

The Open311 key below is public on purpose and for the demo only: real clients get a random key from the back
office, shown once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.accounts.selectors import agency_scope
from dichvucong.feedback import services
from dichvucong.feedback.models import Feedback, Open311Client
from dichvucong.organisations.models import Agency

DEMO_OPEN311_KEY = "demo0311demo.khoa-thu-nghiem-open311-chi-dung-cho-demo"
DEMO_OPEN311_NAME = "Ứng dụng phản ánh hiện trường (demo)"
OPERATOR_USERNAME = "quantri"
OFFICER_USERNAME = "canbo.hanoi"
AGENCY_CODE = "UBND-01"


@dataclass(frozen=True)
class DemoItem:
    submission: services.Submission
    days_ago: int
    state: str  # received, handling, refused, answered, published
    answer: str = ""
    public: dict[str, str] = field(default_factory=dict)
    refusal: str = ""


def _submission(title: str, content: str, name: str, phone: str, **extra: object) -> services.Submission:
    values: dict[str, object] = {
        "topic": "procedure",
        "kind": "delay_harassment",
        "title": title,
        "content": content,
        "sender_name": name,
        "sender_address": "Số 5 ngõ 12 phố Huế, phường Hai Bà Trưng, Hà Nội",
        "sender_phone": phone,
        "unit_code": "01",
        "agency_code": AGENCY_CODE,
        "consent_to_publish": True,
    }
    values.update(extra)
    return services.Submission(**values)  # type: ignore[arg-type]


ITEMS: tuple[DemoItem, ...] = (
    DemoItem(
        _submission(
            "Giấy chứng nhận quyền sử dụng đất trả chậm hơn hai tháng",
            "Tôi là Lê Văn Cường, nộp hồ sơ cấp giấy chứng nhận quyền sử dụng đất từ tháng 3, đã quá hẹn hơn hai "
            "tháng mà chưa được trả kết quả. Số điện thoại của tôi 0901 234 567.",
            "Lê Văn Cường",
            "0901234567",
        ),
        days_ago=30,
        state="published",
        answer="Sở Nông nghiệp và Môi trường đã kiểm tra, hồ sơ chậm do thiếu trích đo địa chính; đã trả kết quả "
        "cho ông Lê Văn Cường và nhắc nhở đơn vị liên quan.",
        public={
            "public_title": "Giấy chứng nhận quyền sử dụng đất trả chậm hơn hai tháng",
            "public_content": "Người dân phản ánh hồ sơ cấp giấy chứng nhận quyền sử dụng đất bị trả chậm hơn hai "
            "tháng so với ngày hẹn.",
            "public_answer": "Hồ sơ chậm do thiếu trích đo địa chính. Kết quả đã được trả cho người dân; đơn vị "
            "liên quan đã bị nhắc nhở và phải báo cáo lý do chậm trên hệ thống một cửa.",
        },
    ),
    DemoItem(
        _submission(
            "Đề nghị cho nộp lệ phí trước bạ trực tuyến khi đăng ký xe",
            "Khi đăng ký xe máy mới tôi phải ra ngân hàng nộp lệ phí trước bạ rồi quay lại nộp biên lai. Đề nghị cho "
            "nộp trực tuyến ngay trên Cổng để đỡ đi lại.",
            "Phạm Thị Dung",
            "0987654321",
            topic="initiative",
            kind="proposed_solution",
        ),
        days_ago=20,
        state="published",
        answer="Từ tháng sau, lệ phí trước bạ khi đăng ký xe được nộp trực tuyến qua Cổng Dịch vụ công.",
        public={
            "public_title": "Nộp lệ phí trước bạ trực tuyến khi đăng ký xe",
            "public_content": "Người dân kiến nghị cho nộp lệ phí trước bạ trực tuyến khi đăng ký xe thay vì nộp "
            "tại ngân hàng rồi nộp biên lai.",
            "public_answer": "Kiến nghị được tiếp thu: lệ phí trước bạ khi đăng ký xe được nộp trực tuyến qua Cổng "
            "Dịch vụ công, biên lai điện tử được gửi thẳng tới cơ quan đăng ký xe.",
        },
    ),
    DemoItem(
        _submission(
            "Cán bộ yêu cầu nộp thêm giấy tờ không có trong quy định",
            "Khi làm thủ tục đăng ký thường trú, cán bộ yêu cầu nộp thêm bản sao giấy khai sinh dù thủ tục không "
            "quy định giấy tờ này.",
            "Hoàng Văn Em",
            "0933111222",
            topic="official",
            kind="wrong_application",
        ),
        days_ago=12,
        state="answered",
        answer="Công an phường đã hướng dẫn lại cán bộ tiếp nhận; ông không phải nộp bản sao giấy khai sinh.",
    ),
    DemoItem(
        _submission(
            "Hồ sơ đăng ký kinh doanh hộ cá thể quá hạn",
            "Hồ sơ đăng ký hộ kinh doanh của tôi đã quá ngày hẹn ba ngày làm việc mà chưa có kết quả.",
            "Vũ Thị Giang",
            "0977333444",
        ),
        days_ago=6,
        state="handling",
    ),
    DemoItem(
        _submission(
            "Khiếu nại quyết định xử phạt vi phạm hành chính",
            "Tôi không đồng ý với quyết định xử phạt vi phạm hành chính về trật tự xây dựng và đề nghị xem xét lại.",
            "Đỗ Văn Hùng",
            "0966555666",
            topic="official",
            kind="other",
            consent_to_publish=False,
        ),
        days_ago=4,
        state="refused",
        refusal="Nội dung là khiếu nại một quyết định hành chính, không thuộc phạm vi phản ánh, kiến nghị.",
    ),
    DemoItem(
        _submission(
            "Biểu mẫu tờ khai trên Cổng không in được trên điện thoại",
            "Tờ khai đăng ký khai sinh tải từ Cổng không mở được trên điện thoại, đề nghị cung cấp bản PDF.",
            "Bùi Thị Lan",
            "0944777888",
            topic="regulation",
            kind="other",
        ),
        days_ago=0,
        state="received",
    ),
)


def _actors() -> tuple[User, User]:
    operator = User.objects.filter(username=OPERATOR_USERNAME).first()
    officer = User.objects.filter(username=OFFICER_USERNAME).first()
    if operator is None or officer is None:
        from dichvucong.accounts.demo import load_demo_accounts

        load_demo_accounts()
        operator = User.objects.get(username=OPERATOR_USERNAME)
        officer = User.objects.get(username=OFFICER_USERNAME)
    return operator, officer


def _load_item(item: DemoItem, operator: User, officer: User, now: dt.datetime) -> Feedback:
    received = now - dt.timedelta(days=item.days_ago)
    feedback = services.submit_feedback(submission=item.submission, now=received)
    if item.state == "received":
        return feedback
    if item.state == "refused":
        return services.refuse(
            feedback_id=feedback.pk, actor=operator, reason=item.refusal, now=received + dt.timedelta(hours=3)
        )
    services.accept(feedback_id=feedback.pk, actor=operator, now=received + dt.timedelta(hours=2))
    agency = Agency.objects.get(code=AGENCY_CODE)
    feedback = services.forward(
        feedback_id=feedback.pk, agency_id=agency.pk, actor=operator, now=received + dt.timedelta(hours=4)
    )
    if item.state == "handling":
        return feedback
    scope = agency_scope(officer)
    answered_at = received + dt.timedelta(days=max(item.days_ago // 2, 1))
    feedback = services.answer(
        feedback_id=feedback.pk, actor=officer, scope=scope, text=item.answer, now=answered_at
    )
    if item.state == "answered":
        return feedback
    return services.publish(
        feedback_id=feedback.pk,
        actor=officer,
        scope=scope,
        public_title=item.public["public_title"],
        public_content=item.public["public_content"],
        public_answer=item.public["public_answer"],
        now=answered_at + dt.timedelta(hours=5),
    )


def load_demo_feedback() -> str:
    """Load the demo feedback and the demo Open311 client; returns what was done, with the client's key."""
    lines: list[str] = []
    now = timezone.now()
    with transaction.atomic():
        operator, officer = _actors()
        for item in ITEMS:
            if Feedback.objects.filter(
                title=item.submission.title, sender_phone=item.submission.sender_phone
            ).exists():
                continue
            feedback = _load_item(item, operator, officer, now)
            lines.append(f"feedback {feedback.code} ({feedback.status}): {feedback.title}")
        prefix = DEMO_OPEN311_KEY.partition(".")[0]
        if not Open311Client.objects.filter(key_prefix=prefix).exists():
            services.create_open311_client(name=DEMO_OPEN311_NAME, actor=None, key=DEMO_OPEN311_KEY)
            lines.append(f"Open311 client “{DEMO_OPEN311_NAME}” registered")
    lines.append(f"Open311 demo api_key (demo only): {DEMO_OPEN311_KEY}")
    return "\n".join(lines)
