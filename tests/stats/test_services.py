"""The roll-up's own costs: with nothing pending it claims, finds nothing and stops, without reading the agency
tree (the beat runs it every `STATS_ROLLUP_SECONDS`)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dichvucong.organisations.models import Agency
from dichvucong.stats import services

pytestmark = pytest.mark.django_db


def test_a_roll_up_with_nothing_pending_reads_no_agency() -> None:
    services.roll_up()  # whatever the register's loading left
    with CaptureQueriesContext(connection) as queries:
        assert services.roll_up() == services.RollUp(0, 0, 0)
    agency_table = Agency._meta.db_table
    assert not [q["sql"] for q in queries.captured_queries if agency_table in q["sql"]]
