"""A stand-in SSM client for what moto lacks.

Moto answers SendCommand and GetCommandInvocation (every invocation succeeds at once) but 500 for
DescribeInstanceInformation, ListCommandInvocations and CancelCommand, and cannot make an agent
come online late, a command fail, or an invocation be `Delayed` or not exist yet. `FakeSsm` has the
same methods as the boto3 client the launcher uses; it forwards SendCommand and
GetCommandInvocation to a real (moto) client when one is given, after playing any scripted answers.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError


def client_error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


class FakeSsm:
    def __init__(
        self,
        *,
        online_after: Mapping[str, int | None] | None = None,
        invocations: Mapping[str, Sequence[str]] | None = None,
        delegate: Any = None,
    ) -> None:
        """online_after: instance -> describe calls before it reports Online (None: never; absent: at once).
        invocations: instance -> statuses GetCommandInvocation answers in turn ("DoesNotExist" raises
        InvocationDoesNotExist); after the list, the delegate answers, or "Success"."""
        self.online_after = dict(online_after or {})
        self.scripted = {k: list(v) for k, v in (invocations or {}).items()}
        self.delegate = delegate
        self.sent: list[dict[str, Any]] = []
        self.describe_calls: list[list[str]] = []
        self._lock = threading.Lock()

    def describe_instance_information(self, **kwargs: Any) -> dict[str, Any]:
        [flt] = kwargs["Filters"]
        assert flt["Key"] == "InstanceIds" and len(flt["Values"]) <= 50
        with self._lock:
            self.describe_calls.append(list(flt["Values"]))
            infos = []
            for iid in flt["Values"]:
                left = self.online_after.get(iid, 0)
                if left is not None and left <= 0:
                    infos.append({"InstanceId": iid, "PingStatus": "Online"})
                elif left is not None:
                    self.online_after[iid] = left - 1
                    infos.append({"InstanceId": iid, "PingStatus": "ConnectionLost"})
        return {"InstanceInformationList": infos}

    def send_command(self, **kwargs: Any) -> dict[str, Any]:
        with self._lock:
            self.sent.append(kwargs)
        if self.delegate is not None:
            result: dict[str, Any] = self.delegate.send_command(**kwargs)
            return result
        return {"Command": {"CommandId": str(uuid.uuid4())}}

    def get_command_invocation(self, **kwargs: Any) -> dict[str, Any]:
        iid = kwargs["InstanceId"]
        with self._lock:
            queue = self.scripted.get(iid, [])
            status = queue.pop(0) if queue else None
        if status == "DoesNotExist":
            raise client_error("InvocationDoesNotExist", "GetCommandInvocation")
        if status is not None:
            err = "bash: aws: command not found" if status == "Failed" else ""
            return {"Status": status, "StandardErrorContent": err, "StandardOutputContent": ""}
        if self.delegate is not None:
            answer: dict[str, Any] = self.delegate.get_command_invocation(**kwargs)
            return answer
        return {"Status": "Success", "StandardOutputContent": "started"}
