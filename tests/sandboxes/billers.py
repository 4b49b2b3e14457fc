"""sandbox-billers as a real subprocess for any test (its SQLite file in a temporary directory), and what the
tests of the portal's side share: signed requests as the portal makes them, the sandbox's controls, and billers
on the portal pointing at it with the sandbox's default key ids and secret."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from dichvucong.core import signing
from tests.sandboxes.processes import sandbox

# The sandbox's defaults (sandboxes/billers/config.py), which the portal's demo billers use too.
SECRET = "whsec_c2FuZGJveC1iaWxsZXJzLWRlbW8ta2V5LTIwMjYhIQ=="
SYSTEMS = ("csgt", "thue", "bhxh", "evn", "toa-an", "mot-cua")
BILLER_CODES = {
    "csgt": "csgt-ha-noi",
    "thue": "thue-ha-noi",
    "bhxh": "bhxh-ha-noi",
    "evn": "evn-ha-noi",
    "toa-an": "toa-an-ha-noi",
    "mot-cua": "mot-cua-ha-noi",
}


def key_id(system: str) -> str:
    return f"{BILLER_CODES[system]}-key"


@dataclass
class BillersServer:
    url: str
    process: subprocess.Popen[str]
    db: Path
    log: Path

    def control(self, path: str, **data: Any) -> dict[str, Any]:
        response = requests.post(f"{self.url}/_sandbox/{path}", json=data, timeout=10)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def control_state(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/_sandbox/state", timeout=10)
        assert response.status_code == 200, response.text
        state: dict[str, Any] = response.json()
        return state

    def reset(self) -> None:
        self.control("reset")

    def down(self, system: str, down: bool = True, status: int = 503) -> None:
        self.control("down", system=system, down=down, status=status)

    def webhooks(self, system: str | None = None) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/_sandbox/webhooks", params={"system": system or ""}, timeout=10)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["webhooks"]
        return items

    def bills(self, system: str) -> dict[str, dict[str, Any]]:
        """The system's bills by reference, with their current status."""
        response = requests.get(f"{self.url}/_sandbox/bills", params={"system": system}, timeout=10)
        assert response.status_code == 200, response.text
        return {b["reference"]: b for b in response.json()["bills"]}

    def lookup(
        self, system: str, code: str, *, secret: str = SECRET, key: str | None = None
    ) -> requests.Response:
        """GET /<system>/bills/<code> signed as the portal signs it."""
        headers = {
            **signing.sign(secret, f"lookup-{uuid.uuid4()}", b""),
            "x-dvc-key-id": key or key_id(system),
        }
        return requests.get(f"{self.url}/{system}/bills/{quote(code, safe='')}", headers=headers, timeout=10)

    def post_webhook(
        self,
        system: str,
        body: dict[str, Any],
        message_id: str,
        *,
        secret: str = SECRET,
        key: str | None = None,
    ) -> requests.Response:
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = {
            **signing.sign(secret, message_id, raw),
            "content-type": "application/json",
            "x-dvc-key-id": key or key_id(system),
        }
        return requests.post(f"{self.url}/{system}/webhooks", data=raw, headers=headers, timeout=10)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8")


@contextmanager
def running_billers(directory: Path, name: str = "billers", **env: str) -> Iterator[BillersServer]:
    """sandbox-billers on a free port with its database in `directory` (the same directory: the same data)."""
    directory.mkdir(parents=True, exist_ok=True)
    db = directory / f"{name}.sqlite3"
    log = directory / f"{name}.log"
    with sandbox("sandboxes.billers", {"SANDBOX_BILLERS_DB": str(db), **env}, log_file=log) as (process, url):
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
        yield BillersServer(url, process, db, log)


def portal_biller(server: BillersServer, system: str = "csgt", **overrides: Any) -> Any:
    """A biller on the portal pointing at one system of the running sandbox (the demo's values)."""
    from tests.payments.factories import make_biller

    values: dict[str, Any] = {
        "adapter": "signed_json",
        "endpoint_url": f"{server.url}/{system}",
        "webhook_url": f"{server.url}/{system}/webhooks",
        "key_id": key_id(system),
        "secret": SECRET,
    }
    values.update(overrides)
    return make_biller(BILLER_CODES[system], **values)
