"""The Celery application of the portal: background work (outbox deliveries, periodic sweeps) runs in workers
started with ``celery -A dichvucong worker``. Configuration comes from Django's settings (the ``CELERY_*``
names, see the "Celery and outbox" block of settings.py); each app's ``tasks`` module is found on its own."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dichvucong.settings")

app = Celery("dichvucong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
