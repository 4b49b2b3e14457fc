"""Back-office pages of our own (workflow steps, uploads) drawn inside the admin's frame, shared by every app's
admin: the page itself, a POST form with its CSRF token, and times as the back office shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def page(
    request: HttpRequest, model_admin: admin.ModelAdmin[Any], title: str, body: SafeString
) -> HttpResponse:
    """`body` inside the admin's frame (its base template shows `content`), with the model's breadcrumbs."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "content": body,
    }
    return TemplateResponse(request, "admin/base_site.html", context)


def form_html(
    request: HttpRequest, form: forms.Form, submit: str, *, action: str = "", multipart: bool = False
) -> SafeString:
    """`form` as a POST form in the admin's style, posting to `action` (default: the page itself)."""
    return format_html(
        '<form method="post"{}{}><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<fieldset class="module aligned">{}</fieldset>'
        '<div class="submit-row"><input type="submit" class="default" value="{}"></div></form>',
        format_html(' action="{}"', action) if action else "",
        mark_safe(' enctype="multipart/form-data"') if multipart else "",  # a constant
        get_token(request),
        form.as_div(),
        submit,
    )


def local(moment: datetime | None) -> str:
    """`moment` in the local time zone (Asia/Ho_Chi_Minh) as the back office shows it, or "—" if none."""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else "—"
