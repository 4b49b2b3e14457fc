"""The demo help desk: a call-centre agent who can sign in to the back office, and three tickets, made once."""

from __future__ import annotations

import pytest

from dichvucong.accounts.demo import DEMO_PASSWORD
from dichvucong.accounts.models import User
from dichvucong.support.demo import AGENT_USERNAME, load_demo_support
from dichvucong.support.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def test_demo_is_made_once() -> None:
    first = load_demo_support()
    assert AGENT_USERNAME in first and "3 tickets" in first
    agent = User.objects.get(username=AGENT_USERNAME)
    assert agent.check_password(DEMO_PASSWORD) and agent.is_staff and agent.agency.code == "VPCP"
    assert agent.has_perm("support.add_ticket") and agent.has_perm("support.change_ticket")
    statuses = sorted(Ticket.objects.values_list("status", flat=True))
    assert statuses == sorted([TicketStatus.RESOLVED, TicketStatus.HANDED_OVER, TicketStatus.OPEN])
    assert Ticket.objects.get(status=TicketStatus.HANDED_OVER).agency.code == "UBND-01"
    assert load_demo_support() == "support demo already there"
    assert Ticket.objects.count() == 3
