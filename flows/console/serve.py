"""Run the console with uvicorn: loopback by default, no access log (URLs carry no personal data, and
a log line per request would only grow)."""

from __future__ import annotations

from infra.bootstrap import Services


def serve(svc: Services, host: str, port: int) -> None:
    import uvicorn

    from flows.console import create_app
    from infra import logmask

    logmask.install()  # whatever uvicorn or a handler logs, ID and phone numbers masked

    uvicorn.run(create_app(svc, secure_cookies=svc.settings.console_secure_cookies), host=host, port=port, access_log=False, log_level="warning",
                server_header=False, proxy_headers=False)
