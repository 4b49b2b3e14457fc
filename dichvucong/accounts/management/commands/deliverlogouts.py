import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dichvucong.accounts.sso import deliver_pending_logouts


class Command(BaseCommand):
    help = (
        "Re-send the back-channel logouts still pending (single sign-out of relying parties that were down)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds (0: once)")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            delivered = deliver_pending_logouts()
            if delivered:
                self.stdout.write(f"delivered {delivered} back-channel logout(s)")
            if not options["every"]:
                return
            time.sleep(options["every"])
