from django.http import HttpRequest, HttpResponse


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe for the load balancer; touches nothing else (also the minimal view of bench/search.py)."""
    return HttpResponse("ok", content_type="text/plain")
