"""The curated demo catalogue: real procedures and questions as published, each with its `source`.

It is loaded through the same import service agencies use, so the demo data is also a test of the format.
Synthetic benchmark data (`manage.py gensynthetic`) never goes here.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from dichvucong.catalogue.models import LifeEvent, Procedure
from dichvucong.catalogue.services import import_catalogue, save_life_event
from dichvucong.organisations.models import Agency
from dichvucong.organisations.services import sync_register

DEMO_DIR = Path(__file__).resolve().parent
DEMO_FILES = ("procedures.json", "faqs.json")


@transaction.atomic
def load_demo(*, force: bool = False) -> str:
    """Load the register and the demo catalogue once; later calls do nothing unless `force`."""
    if not force and Procedure.objects.filter(synthetic=False).exists() and LifeEvent.objects.exists():
        return "demo data already loaded"
    messages = []
    if force or not Agency.objects.exists():
        report = sync_register()
        messages.append(f"{report.units} administrative units, {report.agencies} agencies")
    for name in DEMO_FILES:
        result = import_catalogue(content=(DEMO_DIR / name).read_bytes(), file_name=name, actor="loaddemo")
        messages.append(
            f"{name}: {result.procedures_created} procedures, {result.faqs_created + result.faqs_updated} faqs"
        )
    events = json.loads((DEMO_DIR / "life_events.json").read_text(encoding="utf-8"))["life_events"]
    for position, event in enumerate(events):
        save_life_event(position=position, **event)
    messages.append(f"{len(events)} life events")
    return "; ".join(messages)
