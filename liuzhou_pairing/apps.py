"""The kernel's app: what it sets up when Django starts."""

from django.apps import AppConfig


class LiuzhouPairingConfig(AppConfig):
    name = "liuzhou_pairing"

    def ready(self) -> None:
        from . import library_text

        library_text.install()
