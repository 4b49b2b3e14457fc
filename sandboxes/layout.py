"""The page layout every sandbox shares: a banner that says it is a sandbox, a warning, the body, a footer, and
the same strict headers (a Content-Security-Policy that allows only the page's own inline style)."""

from __future__ import annotations

import base64
import hashlib
from html import escape

from sandboxes.idp.web import Response


def html_page(
    *,
    title: str,
    label: str,
    warning_html: str,
    footer: str,
    css: str,
    body: str,
    status: int = 200,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    """A whole HTML document, uncached. `warning_html` and `body` are HTML; the rest is escaped."""
    css_hash = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    csp = f"default-src 'none'; style-src 'sha256-{css_hash}'; base-uri 'none'; frame-ancestors 'none'"
    document = f"""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(title)} – {escape(label)}</title>
<style>{css}</style>
</head>
<body>
<header>
<div class="banner"><p class="brand">{escape(label)}</p></div>
<div class="warn"><p>{warning_html}</p></div>
</header>
<main id="noi-dung">
{body}
</main>
<footer><p>{escape(footer)}</p></footer>
</body>
</html>
"""
    all_headers = [
        ("Content-Security-Policy", csp),
        ("X-Frame-Options", "DENY"),
        ("Cache-Control", "no-store"),
        *(headers or []),
    ]
    return Response(document.encode("utf-8"), status, "text/html; charset=utf-8", all_headers)
