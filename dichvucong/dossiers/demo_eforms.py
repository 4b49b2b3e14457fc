"""The demo e-forms (`eform_defs/*.json`), each naming its procedure in `procedure_code`. Loaded by `loaddemo`;
loading them again changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from dichvucong.dossiers.eforms import save_eform

DEFINITIONS_DIR = Path(__file__).resolve().parent / "eform_defs"


@transaction.atomic
def load_demo_eforms() -> str:
    """Save every demo e-form whose definition changed; returns what was done, for the command's output."""
    changed = 0
    files = sorted(DEFINITIONS_DIR.glob("*.json"))
    for path in files:
        definition = json.loads(path.read_text(encoding="utf-8"))
        _eform, was_changed = save_eform(procedure_code=definition["procedure_code"], definition=definition)
        changed += was_changed
    return f"{len(files)} e-forms ({changed} changed)"
