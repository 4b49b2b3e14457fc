from typing import Any

from django.core.management.base import BaseCommand

from dichvucong.accounts.services import rotate_signing_key


class Command(BaseCommand):
    help = (
        "Make a new signing key for ID tokens; the old one stays in the JWKS until its tokens have expired."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        key = rotate_signing_key(actor=None, request=None)
        self.stdout.write(f"new signing key {key.kid}")
