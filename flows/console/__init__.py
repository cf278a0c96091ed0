"""The department's console in the browser (issue 14): `create_app(services)`."""

from flows.console.app import create_app

__all__ = ["create_app"]
