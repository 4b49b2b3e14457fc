from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dichvucong.accounts.demo import load_demo_accounts
from dichvucong.catalogue.demo import load_demo


class Command(BaseCommand):
    help = (
        "Load the register of agencies, the curated demo catalogue and the demo accounts (sandbox relying party, "
        "an officer, an operator). Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="re-import the catalogue even if the demo was loaded before"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("loaddemo makes accounts with known passwords: it does not run in production")
        self.stdout.write(load_demo(force=options["force"]))
        self.stdout.write(load_demo_accounts())
