"""PKCE policy for django-oauth-toolkit's PKCE_REQUIRED (a callable, imported by settings: no models here)."""

from __future__ import annotations

from django.conf import settings


def pkce_required(client_id: str) -> bool:
    """Public clients must use PKCE; confidential ones too unless OIDC_PKCE_REQUIRED_FOR_ALL is off."""
    if settings.OIDC_PKCE_REQUIRED_FOR_ALL:
        return True
    from .models import RelyingParty

    client_type = (
        RelyingParty.objects.filter(client_id=client_id).values_list("client_type", flat=True).first()
    )
    return client_type != RelyingParty.CLIENT_CONFIDENTIAL
