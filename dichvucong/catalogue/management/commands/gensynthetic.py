from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dichvucong.catalogue.synthetic import generate
from dichvucong.organisations.models import Agency
from dichvucong.organisations.services import sync_register


class Command(BaseCommand):
    help = "Replace the synthetic benchmark catalogue (codes 9.xxxxxx, marked synthetic) with N procedures and FAQ."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--procedures", type=int, default=10_000)
        parser.add_argument("--faqs", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args: Any, **options: Any) -> None:
        if not Agency.objects.exists():
            sync_register()
        procedures, faqs = generate(
            procedures=options["procedures"], faqs=options["faqs"], seed=options["seed"]
        )
        self.stdout.write(f"{procedures} synthetic procedures, {faqs} synthetic faqs")
