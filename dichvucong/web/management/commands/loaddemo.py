from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dichvucong.accounts.demo import load_demo_accounts
from dichvucong.catalogue.demo import load_demo
from dichvucong.dossiers.demo import load_demo_integrations
from dichvucong.dossiers.demo_eforms import load_demo_eforms
from dichvucong.feedback.demo import load_demo_feedback
from dichvucong.payments.demo import load_demo_payments
from dichvucong.stats import demo as stats_demo
from dichvucong.support.demo import load_demo_support


class Command(BaseCommand):
    help = (
        "Load the register of agencies, the curated demo catalogue, the demo accounts (sandbox relying party, "
        "an officer, an operator), Hà Nội's sandbox one-stop system, the demo e-forms, payments, feedback, help desk, and a year of "
        "dossier history for the public statistics. Running it again changes nothing."
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
        self.stdout.write(load_demo_integrations())
        self.stdout.write(load_demo_eforms())
        self.stdout.write(load_demo_payments())
        self.stdout.write(load_demo_feedback())
        self.stdout.write(load_demo_support())
        stats_demo.load(self.stdout)  # last: it counts what the others made, too
