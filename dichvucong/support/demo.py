"""Demo help desk for `make run`: a call-centre agent of the portal's desk (VPCP) and a few tickets (a call
answered at once, a call handed over to Hà Nội's People's Committee, a question asked on the site). Idempotent;
never run in production (the loaddemo command refuses)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from dichvucong.accounts.demo import DEMO_PASSWORD
from dichvucong.accounts.models import AccountKind, OfficerRole, User
from dichvucong.accounts.roles import Role
from dichvucong.accounts.selectors import agency_scope
from dichvucong.catalogue import selectors as catalogue
from dichvucong.organisations.models import Agency

from . import services
from .models import Ticket, TicketChannel, TicketTopic

AGENT_USERNAME = "tongdai"


def _agent(desk: Agency) -> tuple[User, bool]:
    agent = User.objects.filter(username=AGENT_USERNAME).first()
    if agent is not None:
        return agent, False
    agent = User(
        username=AGENT_USERNAME,
        kind=AccountKind.OFFICER,
        full_name="Điện thoại viên tổng đài (demo)",
        is_staff=True,
        agency=desk,
    )
    agent.set_password(DEMO_PASSWORD)
    agent.save()
    OfficerRole.objects.create(user=agent, role=Role.CALL_CENTRE)
    return agent, True


def _procedure_code(code: str) -> str:
    return code if catalogue.procedures_by_codes([code]) else ""


def load_demo_support() -> str:
    """Make the agent account and, the first time, three tickets; returns what was done."""
    desk = Agency.objects.filter(code=settings.SUPPORT_DESK_AGENCY_CODE).first()
    if desk is None:
        return f"support demo skipped: no agency {settings.SUPPORT_DESK_AGENCY_CODE} in the register"
    lines = []
    with transaction.atomic():
        agent, created = _agent(desk)
        if created:
            lines.append(f"call-centre agent {AGENT_USERNAME} / {DEMO_PASSWORD} (enrol an authenticator app)")
        # The three are made together: the agent's tickets tell whether they were.
        if Ticket.objects.filter(opened_by=agent).exists():
            return "\n".join(lines) or "support demo already there"
        scope = agency_scope(agent)
        answered = services.open_ticket(
            channel=TicketChannel.PHONE,
            topic=TicketTopic.PROCEDURE,
            subject="Hỏi giấy tờ cần chuẩn bị khi đăng ký khai sinh",
            description="Người gọi hỏi cần mang giấy tờ gì khi đăng ký khai sinh cho con.",
            caller_name="Trần Thị Bình",
            caller_phone="0987 654 321",
            procedure_code=_procedure_code("1.001193"),
            actor=agent,
            call_duration_seconds=185,
        )
        services.resolve(
            ticket_id=answered.pk,
            actor=agent,
            scope=scope,
            resolution="Đã hướng dẫn: tờ khai, giấy chứng sinh; nộp trực tuyến trên Cổng.",
        )
        late = services.open_ticket(
            channel=TicketChannel.PHONE,
            topic=TicketTopic.DOSSIER,
            subject="Hồ sơ đã quá hạn hẹn trả nhưng chưa có kết quả",
            description="Người gọi nộp hồ sơ tại Hà Nội, quá hẹn 3 ngày, chưa được thông báo.",
            caller_name="Lê Văn Cường",
            caller_phone="0901234567",
            actor=agent,
            call_duration_seconds=240,
        )
        hanoi = Agency.objects.filter(code="UBND-01").first()
        if hanoi is not None:
            services.hand_over(
                ticket_id=late.pk,
                agency_id=hanoi.pk,
                actor=agent,
                scope=scope,
                reason="Hồ sơ do UBND thành phố Hà Nội giải quyết; đề nghị kiểm tra và trả lời người dân.",
            )
        services.open_ticket(
            channel=TicketChannel.WEB,
            topic=TicketTopic.ACCOUNT,
            subject="Không đăng nhập được bằng tài khoản VNeID",
            description="Sau khi xác thực trên ứng dụng VNeID, trang báo lỗi và quay về trang đăng nhập.",
            caller_name="Phạm Thu Hoa",
            caller_email="hoa.pham@example.vn",
        )
        lines.append(
            "support demo: 3 tickets (one answered, one handed over to UBND-01, one asked on the site)"
        )
    return "\n".join(lines)
