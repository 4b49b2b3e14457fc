"""The portal's Django project. The Celery application is loaded with it, so that tasks published from a web
process (``task.delay``) use its configuration."""

from .celery import app as celery_app

__all__ = ("celery_app",)
