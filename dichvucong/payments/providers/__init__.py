"""Payment provider plugins. The platform talks to every bank or intermediary through `PaymentProvider`
(`base.py`); `settings.PAYMENT_PROVIDERS` maps a provider's `protocol` to the class that speaks it."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from dichvucong.payments.models import Provider
from dichvucong.payments.providers.base import PaymentProvider


def plugin_for(provider: Provider) -> PaymentProvider:
    """The plugin speaking `provider`'s protocol, configured with its codes and secret."""
    path = settings.PAYMENT_PROVIDERS.get(provider.protocol)
    if path is None:
        raise LookupError(f"no payment provider plugin for protocol {provider.protocol!r}")
    cls = import_string(path)
    plugin: PaymentProvider = cls(provider)
    return plugin
