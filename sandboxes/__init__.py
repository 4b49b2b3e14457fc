"""Sandboxes of external parties the portal talks to (identity provider, relying party, banks, one-stop systems).

Each one runs as its own process and speaks the real protocol; none is imported by the portal itself."""
