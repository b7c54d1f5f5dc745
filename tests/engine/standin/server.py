"""The stand-in `pulumi-resource-aws` plugin: a gRPC server on the Pulumi provider protocol.

Started by the Pulumi engine (through `bin/pulumi-resource-aws`, found on PATH as an ambient
plugin) in runctl's engine tests only; never packaged. Like every plugin it listens on a free
local port and prints that port on stdout. The stubs are the ones the `pulumi` package ships
(`pulumi.runtime.proto`). Each resource type runctl's compiler emits has a handler
(`ec2.py`, `s3.py`, `iam.py`) that creates, reads, updates and deletes it in the moto server the
provider configuration points at; the invokes runctl's program calls are in `aws.py`.

Diff decides replacement with runctl's own table (`runctl_iac.plan.replace_rules`, sourced from
terraform-provider-aws's ForceNew flags): an engine test that asserts a replacement through this
provider therefore checks the engine's handling of it, not the table (see the engine tests).
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent import futures
from typing import Any, TypeVar

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from runctl_iac.plan.replace_rules import forces_replacement
from tests.engine.standin import ec2, iam, s3
from tests.engine.standin.aws import Aws, invoke
from tests.engine.standin.base import Handler, Props, tags_all
from tests.engine.standin.wire import Secret, changed, from_struct, is_unknown, to_struct

VERSION = importlib.metadata.version("pulumi_aws")
HANDLERS: dict[str, Handler] = {cls.token: cls() for cls in (*ec2.HANDLERS, *s3.HANDLERS, *iam.HANDLERS)}
Diff = provider_pb2.DiffResponse
Kind = provider_pb2.PropertyDiff.Kind

F = TypeVar("F", bound=Callable[..., Any])


def _rpc(fn: F) -> F:
    """Any failure becomes a gRPC error carrying the message (the engine shows it per resource)."""

    @functools.wraps(fn)
    def wrapper(self: Provider, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return fn(self, request, context)
        except Exception as err:
            context.abort(grpc.StatusCode.UNKNOWN, f"{type(err).__name__}: {err}")

    return wrapper  # type: ignore[return-value]


def _name(request: Any) -> str:
    return getattr(request, "name", "") or request.urn.split("::")[-1]


def _type(request: Any) -> str:
    return getattr(request, "type", "") or request.urn.split("::")[-2].split("$")[-1]


def autoname(name: str, seed: bytes) -> str:
    """pulumi-aws's autonaming: the resource name, a dash and 7 random hex digits (seeded by the engine,
    so a re-run of Check keeps the name)."""
    suffix = (seed.hex() if seed else secrets.token_hex(4))[:7]
    return f"{name}-{suffix}"


def _keep_secret(olds: Props, live: Props) -> Props:
    """Live values read back for keys that were secret stay secret."""
    return {
        k: Secret(v) if isinstance(olds.get(k), Secret) and not isinstance(v, Secret) else v
        for k, v in live.items()
    }


class Provider(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, aws: Aws | None = None) -> None:
        self.aws = aws

    def _handler(self, token: str) -> Handler:
        try:
            return HANDLERS[token]
        except KeyError:
            raise NotImplementedError(f"stand-in aws provider: no resource type {token}") from None

    def _configured(self) -> Aws:
        if self.aws is None:
            raise RuntimeError("stand-in aws provider: not configured")
        return self.aws

    # ---- plugin and provider configuration ----

    @_rpc
    def Handshake(self, request: Any, context: Any) -> Any:
        return provider_pb2.ProviderHandshakeResponse(accept_secrets=True, accept_resources=True)

    @_rpc
    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=VERSION)

    @_rpc
    def GetSchema(self, request: Any, context: Any) -> Any:
        return provider_pb2.GetSchemaResponse(schema=json.dumps({"name": "aws", "version": VERSION}))

    @_rpc
    def CheckConfig(self, request: Any, context: Any) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    @_rpc
    def DiffConfig(self, request: Any, context: Any) -> Any:
        from tests.engine.standin.aws import decode_config

        olds, news = decode_config(from_struct(request.olds)), decode_config(from_struct(request.news))
        old_inputs = decode_config(from_struct(request.old_inputs)) or olds
        diff = changed(olds, news, old_inputs)
        if not diff:
            return Diff(changes=Diff.DIFF_NONE)
        replaces = [k for k in diff if k == "region"]
        return Diff(changes=Diff.DIFF_SOME, diffs=list(diff), replaces=replaces)

    @_rpc
    def Configure(self, request: Any, context: Any) -> Any:
        args = from_struct(request.args) or {
            k.removeprefix("aws:config:"): v for k, v in request.variables.items()
        }
        self.aws = Aws.from_config(args)
        return provider_pb2.ConfigureResponse(acceptSecrets=True, acceptResources=True, supportsPreview=False)

    @_rpc
    def Invoke(self, request: Any, context: Any) -> Any:
        result = invoke(self._configured(), request.tok, from_struct(request.args))
        return provider_pb2.InvokeResponse(**{"return": to_struct(result)})

    # ---- resources ----

    @_rpc
    def Check(self, request: Any, context: Any) -> Any:
        handler = self._handler(_type(request))
        news, olds = from_struct(request.news), from_struct(request.olds)
        key = handler.name_key
        if key and not news.get(key):
            news[key] = olds.get(key) or autoname(_name(request), request.randomSeed)
        if handler.taggable and not is_unknown(news.get("tags")):
            news["tagsAll"] = tags_all(self._configured(), news)
        return provider_pb2.CheckResponse(inputs=to_struct(news))

    @_rpc
    def Diff(self, request: Any, context: Any) -> Any:
        token = _type(request)
        handler = self._handler(token)
        olds, news = from_struct(request.olds), from_struct(request.news)
        old_inputs = from_struct(request.old_inputs)
        diff = {k: v for k, v in changed(olds, news, old_inputs).items() if k not in request.ignoreChanges}
        if not diff:
            return Diff(changes=Diff.DIFF_NONE)
        replaces = [k for k, paths in diff.items() if any(forces_replacement(token, p) for p in paths)]
        detail = {}
        for key in diff:
            kind = (
                Kind.ADD if olds.get(key) is None else Kind.DELETE if news.get(key) is None else Kind.UPDATE
            )
            detail[key] = provider_pb2.PropertyDiff(
                kind=kind + 1 if key in replaces else kind, inputDiff=True
            )
        return Diff(
            changes=Diff.DIFF_SOME,
            diffs=list(diff),
            replaces=replaces,
            deleteBeforeReplace=bool(replaces) and handler.delete_before_replace,
            detailedDiff=detail,
            hasDetailedDiff=True,
        )

    @_rpc
    def Create(self, request: Any, context: Any) -> Any:
        inputs = from_struct(request.properties)
        if request.preview:
            # the engine previews creates even when Configure said supportsPreview=False (it does
            # after a Handshake): answer with the inputs, computed outputs unknown, and touch nothing
            return provider_pb2.CreateResponse(properties=to_struct(inputs))
        rid, computed = self._handler(_type(request)).create(self._configured(), inputs, _name(request))
        # test hooks: the resource exists in moto, the engine does not know yet (interrupted-update
        # tests): answer after a delay, or once the test creates the gate file (an explicit signal)
        time.sleep(float(os.environ.get("RUNCTL_STANDIN_CREATE_DELAY", "0")))
        gate = os.environ.get("RUNCTL_STANDIN_CREATE_GATE")
        while gate and not os.path.exists(gate):
            time.sleep(0.05)
        return provider_pb2.CreateResponse(id=rid, properties=to_struct({**inputs, **computed}))

    @_rpc
    def Read(self, request: Any, context: Any) -> Any:
        olds = from_struct(request.properties)
        live = self._handler(_type(request)).read(self._configured(), request.id, olds)
        if live is None:
            return provider_pb2.ReadResponse()  # no id: the resource is gone
        outputs = {**olds, **_keep_secret(olds, live)}
        return provider_pb2.ReadResponse(id=request.id, properties=to_struct(outputs), inputs=request.inputs)

    @_rpc
    def Update(self, request: Any, context: Any) -> Any:
        olds, news = from_struct(request.olds), from_struct(request.news)
        if request.preview:
            return provider_pb2.UpdateResponse(properties=to_struct({**olds, **news}))
        keys = list(changed(olds, news, from_struct(request.old_inputs)))
        computed = self._handler(_type(request)).update(self._configured(), request.id, olds, news, keys)
        return provider_pb2.UpdateResponse(properties=to_struct({**news, **computed}))

    @_rpc
    def Delete(self, request: Any, context: Any) -> Any:
        self._handler(_type(request)).delete(self._configured(), request.id, from_struct(request.properties))
        return empty_pb2.Empty()

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()


def serve() -> None:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", 256 * 1024 * 1024)],
    )
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(Provider(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)  # the engine reads the port from the plugin's first line of output
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: server.stop(grace=1))
    parent = os.getppid()

    def orphaned() -> None:  # an engine killed with SIGKILL cannot stop its plugins: notice it
        while os.getppid() == parent:
            time.sleep(1)
        server.stop(grace=0)

    threading.Thread(target=orphaned, daemon=True).start()
    server.wait_for_termination()


if __name__ == "__main__":
    # argv[1] is the engine's address (for logging back); the stand-in does not use it
    del sys.argv[1:]
    serve()
