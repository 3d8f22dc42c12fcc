"""The HTTP API (litestar): one controller a resource, wired by `create_app`."""

from factdesk.service.api.app import create_app

__all__ = ["create_app"]
