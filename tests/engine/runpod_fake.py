"""A fake RunPod REST API on 127.0.0.1 for tests: the documented request and response shapes of
https://rest.runpod.io/v1 (docs.runpod.io/api-reference: POST/GET/PATCH/DELETE /pods and
/networkvolumes, bearer auth), kept in memory, with the failures RunPod answers with:

- a wrong or missing key: 401 {"error": "..."};
- a GPU type listed in `no_capacity`: 500 with RunPod's "no longer any instances available" message;
- `throttle(n)`: the next n requests get 429 with `Retry-After: 0`;
- `echo_errors`: a create is refused with a 400 that quotes the request body back (as validation
  errors of many APIs do), to prove no secret of the body reaches runctl's errors.

`calls` records (method, path, body) of every accepted request; bodies never hold the key (it is a header).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handle = Callable[[Any], tuple[int, Any]]
NO_CAPACITY = (
    "There are no longer any instances available with the requested specifications. "
    "Please refresh and try again."
)
# per GPU-hour, the shape of the Pod's `gpu` object (securePrice, communityPrice, ...)
PRICES = {"NVIDIA H100 80GB HBM3": 2.69, "NVIDIA A100 80GB PCIe": 1.64}


@dataclass
class FakeRunPod:
    api_key: str
    url: str = ""
    pods: dict[str, dict[str, Any]] = field(default_factory=dict)
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    no_capacity: set[str] = field(default_factory=set)
    echo_errors: bool = False
    throttled: int = 0
    rate_limited: int = 0  # how many 429s were answered
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def throttle(self, count: int) -> None:
        self.throttled = count

    def handle(self, method: str, path: str, auth: str | None, body: Any) -> tuple[int, Any]:
        with self._lock:
            if self.throttled:
                self.throttled -= 1
                self.rate_limited += 1
                return 429, {"error": "rate limit exceeded"}
            if auth != f"Bearer {self.api_key}":
                return 401, {"error": "Unauthorized: invalid API key"}
            self.calls.append((method, path, body))
            parts = path.strip("/").split("/")
            if parts[0] == "pods":
                return self._pods(method, parts[1:], body)
            if parts[0] == "networkvolumes":
                return self._volumes(method, parts[1:], body)
            return 404, {"error": f"no route {path}"}

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def _collection(self, method: str, table: dict[str, Any], create: Handle, body: Any) -> tuple[int, Any]:
        if method == "GET":
            return 200, list(table.values())
        if method == "POST":
            return create(body)
        return 405, {"error": "method not allowed"}

    def _one(
        self,
        table: dict[str, Any],
        what: str,
        key: str,
        method: str,
        body: Any,
        patch: Any,
        in_use: Any = None,
    ) -> tuple[int, Any]:
        item = table.get(key)
        if item is None:
            return 404, {"error": f"{what} {key} not found"}
        if method == "GET":
            return 200, item
        if method == "PATCH":
            return patch(item, body)
        if method == "DELETE":
            if in_use is not None and in_use(key):
                return 400, {"error": f"{what} is attached to a pod"}
            del table[key]
            return 204, None
        return 405, {"error": "method not allowed"}

    def _pods(self, method: str, rest: list[str], body: Any) -> tuple[int, Any]:
        if not rest:
            return self._collection(method, self.pods, self._create_pod, body)
        return self._one(self.pods, "pod", rest[0], method, body, self._patch_pod)

    @staticmethod
    def _patch_pod(pod: dict[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        renamed = {"imageName": "image"}
        for key, value in body.items():
            pod[renamed.get(key, key)] = value
        return 200, pod

    def _create_pod(self, body: dict[str, Any]) -> tuple[int, Any]:
        if self.echo_errors:
            return 400, {"error": f"invalid pod request: env {json.dumps(body.get('env'))}"}
        for required in ("imageName", "gpuTypeIds"):
            if required not in body:
                return 400, {"error": f"{required} is required"}
        gpu = body["gpuTypeIds"][0]
        if gpu in self.no_capacity:
            return 500, {"error": f"create pod: {NO_CAPACITY}"}
        volume = body.get("networkVolumeId")
        if volume is not None and volume not in self.volumes:
            return 400, {"error": f"network volume {volume} not found"}
        count = body.get("gpuCount", 1)
        price = PRICES.get(gpu, 1.0) * count
        pod = {
            "id": self._new_id("pod"),
            "name": body.get("name", ""),
            "image": body["imageName"],
            "desiredStatus": "RUNNING",
            "costPerHr": f"{price:.2f}",
            "adjustedCostPerHr": price,
            "gpu": {"id": gpu, "count": count, "displayName": gpu, "securePrice": PRICES.get(gpu, 1.0)},
            "containerDiskInGb": body.get("containerDiskInGb", 50),
            "volumeInGb": body.get("volumeInGb", 20),
            "volumeMountPath": body.get("volumeMountPath", "/workspace"),
            "env": body.get("env", {}),
            "dockerStartCmd": body.get("dockerStartCmd", []),
            "ports": body.get("ports", []),
            "interruptible": body.get("interruptible", False),
            "networkVolumeId": volume,
            "machine": {"dataCenterId": (body.get("dataCenterIds") or ["US-KS-2"])[0]},
        }
        self.pods[pod["id"]] = pod
        return 201, pod

    def _volumes(self, method: str, rest: list[str], body: Any) -> tuple[int, Any]:
        if not rest:
            return self._collection(method, self.volumes, self._create_volume, body)

        def in_use(key: str) -> bool:
            return any(p.get("networkVolumeId") == key for p in self.pods.values())

        return self._one(self.volumes, "network volume", rest[0], method, body, self._patch_volume, in_use)

    def _create_volume(self, body: dict[str, Any]) -> tuple[int, Any]:
        vol = {
            "id": self._new_id("vol"),
            "name": body["name"],
            "size": body["size"],
            "dataCenterId": body["dataCenterId"],
        }
        self.volumes[vol["id"]] = vol
        return 201, vol

    @staticmethod
    def _patch_volume(vol: dict[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        if "size" in body and body["size"] < vol["size"]:
            return 400, {"error": "network volume size can only be increased"}
        vol.update({k: body[k] for k in ("name", "size") if k in body})
        return 200, vol


def _handler(fake: FakeRunPod) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            path = self.path.removeprefix("/v1")
            status, doc = fake.handle(self.command, path, self.headers.get("Authorization"), body)
            data = b"" if doc is None else json.dumps(doc).encode()
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "0")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

    return Handler


@contextmanager
def fake_runpod(api_key: str) -> Iterator[FakeRunPod]:
    """A running fake on a free 127.0.0.1 port; `fake.url` is its base URL (…/v1)."""
    fake = FakeRunPod(api_key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def runpod_env(monkeypatch: Any, api_key: str) -> Iterator[FakeRunPod]:
    """The fake, with RunPod's API URL and key in the environment (the provider host inherits it)."""
    from runctl_iac.engine import runpod_api

    with fake_runpod(api_key) as fake:
        monkeypatch.setenv(runpod_api.API_URL_ENV, fake.url)
        monkeypatch.setenv("RUNPOD_API_KEY", api_key)
        yield fake
