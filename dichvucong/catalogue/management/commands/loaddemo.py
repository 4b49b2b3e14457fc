from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dichvucong.catalogue.demo import load_demo


class Command(BaseCommand):
    help = "Load the register of agencies and the curated demo catalogue. Running it again changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="re-import even if the demo was loaded before"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(load_demo(force=options["force"]))
