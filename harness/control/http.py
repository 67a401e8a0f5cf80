"""The HTTP control adapter: the JSON convention any lab can implement (README "Controlling a SUT over HTTP").

`POST <url>/actions/<action>` with a JSON object of parameters; any 2xx is done, anything else is a ControlError
carrying the body's `error`. Requests run in a worker thread so the event loop (and the OCPP traffic the action
causes) keeps moving while the lab performs the action.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import requests

from harness.control.actions import ActionControl
from harness.control.interfaces import Journal
from harness.errors import ControlError


class HttpControl(ActionControl):
    kind = "http"

    def __init__(self, url: str, *, timeout: float = 60.0, token_env: str | None = None,
                 journal: Journal | None = None) -> None:
        super().__init__(journal=journal)
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._token = os.environ.get(token_env) if token_env else None  # never journaled or logged
        self._session = requests.Session()

    async def perform(self, action: str, params: dict[str, Any]) -> str:
        return await asyncio.to_thread(self._post, action, params)

    def _post(self, action: str, params: dict[str, Any]) -> str:
        target = f"{self.url}/actions/{action}"
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = self._session.post(target, json=params, headers=headers, timeout=self.timeout)
        except requests.Timeout:
            raise ControlError(f"POST {target}: no answer within {self.timeout} s") from None
        except requests.RequestException as exc:
            raise ControlError(f"POST {target}: {type(exc).__name__}: {exc}") from None
        if not 200 <= response.status_code < 300:
            raise ControlError(f"POST {target}: HTTP {response.status_code}: {_error_text(response)}")
        return f"HTTP {response.status_code}"

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            self._session.close()


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])[:300]
    return str(body)[:300]
