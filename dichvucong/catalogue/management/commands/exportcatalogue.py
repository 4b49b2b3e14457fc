from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dichvucong.catalogue.selectors import export_catalogue


class Command(BaseCommand):
    help = "Export the published procedures or the FAQ in the import format (JSON or CSV) to standard output."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["procedures", "faqs"])
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--agency", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(
            export_catalogue(kind=options["kind"], file_format=options["format"], agency=options["agency"])
        )
