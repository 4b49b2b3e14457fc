"""Signals of the dossiers app for readers that follow its changes (the statistics roll-up).

The status sync writes dossiers with set-based SQL, which Django's model signals do not see; it sends
`dossiers_changed` with the ids of the dossiers a batch created or changed, inside the batch's transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

# sender: the module that changed them; ids: a collection of dossier ids
dossiers_changed = Signal()
