"""System checks of the project's configuration."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


def secret_key_errors() -> list[Error]:
    """Return an error when the development SECRET_KEY would sign sessions with DEBUG off.

    The development key is public (it is in the repository): a site served with it lets
    anyone forge a session cookie and log in as any member of staff.
    """
    if settings.DEBUG or settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY:
        return []
    return [
        Error(
            "SECRET_KEY is the development default while DEBUG is off.",
            hint="Set the SECRET_KEY environment variable to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))').",
            id="jingxi.E001",
        )
    ]


@register(Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs) -> list[Error]:
    return secret_key_errors()


def refuse_insecure_serving() -> None:
    """Refuse to serve (WSGI start-up) with the development key and DEBUG off."""
    if errors := secret_key_errors():
        raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint}")
