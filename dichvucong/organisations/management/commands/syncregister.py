from typing import Any

from django.core.management.base import BaseCommand

from dichvucong.organisations.services import sync_register


class Command(BaseCommand):
    help = "Load or refresh administrative units (vietnam-provinces) and the register of agencies."

    def handle(self, *args: Any, **options: Any) -> None:
        report = sync_register()
        self.stdout.write(f"{report.units} administrative units, {report.agencies} agencies")
