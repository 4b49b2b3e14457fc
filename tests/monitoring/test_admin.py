"""The back-office pages of the monitor: operators only (officers 403, anonymous to the sign-in page); the board
with each integration's level in words; an integration's page with its calls and the test console, whose sends
are audited; the evaluation on demand and the acknowledgement of an alert."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from dichvucong.core.models import AuditEvent
from dichvucong.monitoring import services
from dichvucong.monitoring.models import IntegrationAlert, IntegrationCall
from tests.conftest import make_officer, make_operator, verified_staff_client
from tests.monitoring.factories import calls, onestop

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client: Any) -> Any:
    return verified_staff_client(client, make_operator())


def pages(system: Any) -> list[tuple[str, str]]:
    return [
        ("get", reverse("admin:monitoring_board")),
        ("get", reverse("admin:monitoring_integration", args=["onestop", system.pk])),
        ("post", reverse("admin:monitoring_integration", args=["onestop", system.pk])),
        ("post", reverse("admin:monitoring_evaluate")),
        ("get", reverse("admin:monitoring_integrationalert_changelist")),
        ("get", reverse("admin:monitoring_integrationcall_changelist")),
    ]


def test_officers_are_refused_every_page_and_anonymous_visitors_sent_to_sign_in(client: Any) -> None:
    system = onestop()
    officer = verified_staff_client(client, make_officer("UBND-01", username="canbo", is_staff=True))
    for method, url in pages(system):
        assert getattr(officer, method)(url, {"sample": "dossier"}).status_code == 403, url
    assert not IntegrationCall.objects.exists() and not AuditEvent.objects.filter(
        action__startswith="monitoring"
    )
    client.logout()
    response = client.get(reverse("admin:monitoring_board"))
    assert response.status_code == 302
    assert "/dang-nhap/" in response["Location"] or "/login/" in response["Location"]


def test_the_board_shows_each_level_in_words_with_its_reasons(operator: Any) -> None:
    red = onestop("UBND-01")
    calls(red, "xxx")
    green = onestop("UBND-79")
    calls(green, "o")
    response = operator.get(reverse("admin:monitoring_board"))
    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(r'<tr data-integration="onestop-(\d+)">(.*?)</tr>', html, re.S)
    by_id = {int(pk): row for pk, row in rows}
    assert 'data-level="red">Sự cố<' in by_id[red.pk]
    assert "3 lần trao đổi liên tiếp thất bại (gửi đi)" in by_id[red.pk]
    assert 'data-level="green">Bình thường<' in by_id[green.pk]
    assert [int(pk) for pk, _row in rows] == [red.pk, green.pk]


def test_the_console_sends_a_sample_shows_the_result_and_audits_it(operator: Any) -> None:
    system = onestop(endpoint="http://127.0.0.1:9")
    url = reverse("admin:monitoring_integration", args=["onestop", system.pk])
    response = operator.post(url, {"sample": "dossier"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Gửi không thành công" in html and "http://127.0.0.1:9/dossiers" in html
    assert IntegrationCall.objects.get().is_test
    assert AuditEvent.objects.get(action="monitoring.console_sent").detail["sample"] == "dossier"
    assert "test:dossier" in operator.get(url).content.decode()  # among the recent calls


def test_a_sample_kind_the_integration_does_not_take_is_a_form_error(operator: Any) -> None:
    system = onestop()
    url = reverse("admin:monitoring_integration", args=["onestop", system.pk])
    response = operator.post(url, {"sample": "payment"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not IntegrationCall.objects.exists()


def test_an_unknown_integration_is_404(operator: Any) -> None:
    assert operator.get(reverse("admin:monitoring_integration", args=["onestop", 999])).status_code == 404
    assert operator.get(reverse("admin:monitoring_integration", args=["khac", 1])).status_code == 404


def test_evaluating_from_the_board_opens_the_alert_and_is_audited(operator: Any) -> None:
    system = onestop()
    calls(system, "xxx")
    response = operator.post(reverse("admin:monitoring_evaluate"), follow=True)
    assert "mở 1 cảnh báo" in response.content.decode()
    alert = IntegrationAlert.objects.get()
    assert AuditEvent.objects.get(action="monitoring.evaluated").detail["opened"] == [alert.pk]
    assert operator.get(reverse("admin:monitoring_evaluate")).status_code == 405


def test_an_operator_acknowledges_an_alert_from_the_integrations_page(operator: Any) -> None:
    system = onestop()
    calls(system, "xxx")
    services.evaluate()
    alert = IntegrationAlert.objects.get()
    page = operator.get(reverse("admin:monitoring_integration", args=["onestop", system.pk])).content.decode()
    assert reverse("admin:monitoring_acknowledge", args=[alert.pk]) in page
    response = operator.post(reverse("admin:monitoring_acknowledge", args=[alert.pk]), follow=True)
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
    assert AuditEvent.objects.filter(action="monitoring.alert_acknowledged").count() == 1


def test_the_alert_list_links_to_the_board(operator: Any) -> None:
    html = operator.get(reverse("admin:monitoring_integrationalert_changelist")).content.decode()
    assert reverse("admin:monitoring_board") in html


def test_an_integrations_own_admin_page_links_to_its_health_and_console(operator: Any) -> None:
    from tests.payments import factories as payment_factories

    system = onestop()
    page = operator.get(reverse("admin:dossiers_agencyintegration_change", args=[system.pk])).content.decode()
    assert f'href="{reverse("admin:monitoring_integration", args=["onestop", system.pk])}"' in page
    retired = onestop("UBND-79", is_active=False)  # not watched: its health page would answer 404
    page = operator.get(
        reverse("admin:dossiers_agencyintegration_change", args=[retired.pk])
    ).content.decode()
    assert reverse("admin:monitoring_integration", args=["onestop", retired.pk]) not in page
    quiet = payment_factories.make_biller()  # no webhook: not watched, no link
    watched = payment_factories.make_biller("csgt-hcm", webhook_url="http://127.0.0.1:9/webhook")
    off = payment_factories.make_biller("csgt-off", webhook_url="http://127.0.0.1:9/webhook", is_active=False)
    for biller, linked in ((quiet, False), (watched, True), (off, False)):
        page = operator.get(reverse("admin:payments_biller_change", args=[biller.pk])).content.decode()
        expected = reverse("admin:monitoring_integration", args=["biller", biller.pk])
        assert (f'href="{expected}"' in page) is linked
