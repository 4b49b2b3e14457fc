from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dichvucong.catalogue.services import import_catalogue
from dichvucong.core.errors import ValidationFailed


class Command(BaseCommand):
    help = "Import procedures and/or FAQ from a JSON or CSV file (docs/import-format.md), all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            report = import_catalogue(content=path.read_bytes(), file_name=path.name, actor="manage.py")
        except ValidationFailed as failure:
            for error in failure.errors:
                where = f"dòng {error.row}" if error.row is not None else "tệp"
                self.stderr.write(f"{where}, cột {error.column}: {error.message}")
            raise CommandError(failure.summary) from None
        self.stdout.write(
            f"procedures: {report.procedures_created} new versions, {report.procedures_unchanged} unchanged; "
            f"faqs: {report.faqs_created} created, {report.faqs_updated} updated, {report.faqs_unchanged} unchanged"
        )
