"""Recount every public figure from the rows (`stats.services.rebuild`)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dichvucong.stats import services


class Command(BaseCommand):
    help = (
        "Recount the public statistics from the dossiers, ratings, payments, feedback and accounts: after an "
        "agency moved to another province or ministry, or to check the roll-ups. Visits are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=services.BATCH, help="rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        done = services.rebuild(batch=options["batch"])
        self.stdout.write(f"Đã tính lại: {done.objects} bản ghi, {done.figures} số liệu thay đổi.")
