"""A small client of RunPod's REST API (https://rest.runpod.io/v1, documented at
https://docs.runpod.io/api-reference): bearer auth, JSON bodies, typed errors.

Only the standard library: it runs inside the Pulumi dynamic-provider host as well as in `runctl gc`.
Errors never carry the API key (it is only ever put in the Authorization header). A 429 is retried
after its Retry-After (bounded by `RETRY_AFTER_MAX_S`, at most `RATE_LIMIT_TRIES` tries); other
failures raise `RunPodError` with the status and RunPod's own message.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

API_URL_ENV = "RUNCTL_RUNPOD_API_URL"  # tests point runctl at a local fake RunPod API
DEFAULT_API_URL = "https://rest.runpod.io/v1"
TIMEOUT_S = 60
RATE_LIMIT_TRIES = 5
RETRY_AFTER_MAX_S = 30.0

# RunPod's answer when no machine matches the request (the text its API and console show)
NO_CAPACITY_TEXT = "no longer any instances available"


class RunPodError(Exception):
    """A failed RunPod API call; `hint` says what the user can do."""

    def __init__(self, status: int, message: str, hint: str = "") -> None:
        self.status = status
        self.hint = hint
        super().__init__(f"RunPod API {status}: {message}" + (f" ({hint})" if hint else ""))


def _hint(status: int, message: str) -> str:
    if status in (401, 403):
        return "check RUNPOD_API_KEY: RunPod refused it (create a key with read/write access in the console)"
    if NO_CAPACITY_TEXT in message.lower():
        return "no capacity for this GPU type now: try another gpu, cloud, data_centers, or later"
    if status == 429:
        return "rate limited by RunPod: try again in a minute"
    return ""


class RunPodClient:
    def __init__(self, api_key: str, base_url: str | None = None, secrets: tuple[str, ...] = ()) -> None:
        """`secrets`: other secret values the requests carry (the pod's AWS key in its env); they
        and the API key are cut out of every error, in case RunPod echoes a request back."""
        self._key = api_key
        self._secrets = tuple(v for v in (api_key, *secrets) if v)
        self.base_url = (base_url or os.environ.get(API_URL_ENV) or DEFAULT_API_URL).rstrip("/")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The decoded JSON answer (None for an empty one); RunPodError on failure."""
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(RATE_LIMIT_TRIES):
            request = urllib.request.Request(self.base_url + path, data=data, method=method)
            request.add_header("Authorization", f"Bearer {self._key}")
            request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                    raw = response.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as err:
                text = err.read().decode("utf-8", "replace")
                # secrets out before `_message` shortens the text, which could cut one in two
                message = _message(self._scrub(text)) or str(err.reason) or "request failed"
                if err.code == 429 and attempt + 1 < RATE_LIMIT_TRIES:
                    time.sleep(_retry_after(err.headers.get("Retry-After"), attempt))
                    continue
                raise RunPodError(err.code, f"{method} {path}: {message}", _hint(err.code, message)) from None
            except urllib.error.URLError as err:
                raise RunPodError(0, f"{method} {path}: cannot reach {self.base_url}: {err.reason}") from None
        raise AssertionError("unreachable")  # the last try either returns or raises

    def _scrub(self, text: str) -> str:
        for value in self._secrets:
            text = text.replace(value, "[secret]")
        return text


def _message(text: str) -> str:
    try:
        doc = json.loads(text)
    except ValueError:
        return text.strip()[:300]
    if isinstance(doc, dict):
        return str(doc.get("error") or doc.get("message") or doc)[:300]
    return str(doc)[:300]


def _retry_after(header: str | None, attempt: int) -> float:
    try:
        wait = float(header) if header is not None else 2.0**attempt
    except ValueError:
        wait = 2.0**attempt
    return max(0.0, min(wait, RETRY_AFTER_MAX_S))
