"""Engine failures -> diagnostics with a hint (never a traceback).

The texts matched are the Pulumi CLI's and AWS's own:
- DIY backend lock (pkg/backend/diy/lock.go): "the stack is currently locked by 1 lock(s). Either
  wait for the other process(es) to end or delete the lock file with `pulumi cancel`." followed by
  "<url>: created by USER@HOST (pid N) at TIME"; Pulumi Cloud: "[409] Conflict: Another update is
  currently in progress." (both are `ConcurrentUpdateError` in the SDK);
- pending operations (pkg/resource/deploy/deployment_executor.go): "Attempting to deploy or update
  resources with N pending operations from previous deployment." + "* URN, interrupted while ...";
- plugins: "no resource plugin 'pulumi-resource-aws' found", "failed to download plugin";
- credentials (terraform-provider-aws): "no valid credential sources", "ExpiredToken",
  "InvalidClientTokenId", "The security token included in the request is expired";
- RunPod (engine/runpod_api.py's RunPodError, sent by the dynamic-provider host as a Python
  traceback, cut to its last line): E0725 with the error's own hint;
- EC2: InsufficientInstanceCapacity, VcpuLimitExceeded, MaxSpotInstanceCountExceeded,
  UnauthorizedOperation ("... is not authorized to perform: ec2:RunInstances ...").
Secrets never reach a message: the CLI prints `[secret]` for them, and only the first lines of an
error are quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Rule:
    code: str
    pattern: re.Pattern[str]
    message: str  # may use the named groups
    hint: str


_LOCK_HOLDER = re.compile(r"created by (?P<who>\S+) \(pid (?P<pid>\d+)\) at (?P<when>\S+)")
_PENDING = re.compile(r"\* (urn:pulumi:\S+), interrupted while (\w+)")
_RESOURCE = re.compile(r"(?m)^\s*(?:[\w-]+:[\w/.-]+:\w+) \((?P<name>[^)]+)\):\s*$")
_INSTANCE_TYPE = re.compile(r"\b([a-z][a-z0-9-]*\d[a-z0-9-]*\.\d*[a-z]+)\b")
_ZONE = re.compile(r"\b([a-z]{2}(?:-gov)?-[a-z]+-\d[a-z])\b")

QUOTAS = {  # instance family prefix -> the On-Demand vCPU quota (Service Quotas, ec2)
    "g": "Running On-Demand G and VT instances (L-DB2E81BA)",
    "p": "Running On-Demand P instances (L-417A185B)",
    "trn": "Running On-Demand Trn instances (L-2C3B7624)",
    "inf": "Running On-Demand Inf instances (L-1945791B)",
}
STANDARD_QUOTA = "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances (L-1216C47A)"

RULES: tuple[Rule, ...] = (
    Rule(
        "E0707",
        re.compile(
            r"unable to delete resource \"(?P<urn>[^\"]+)\"\s*as it is currently marked for protection"
        ),
        "{protected} is retained (protected) and the change would delete it",
        "keep it in the spec, or set `retain: false` and apply before removing it "
        "(its data is then deleted with it)",
    ),
    Rule(
        "E0702",
        re.compile(r"\[409\] Conflict: Another update is currently in progress|currently locked by"),
        "the stack is locked by another update{holder}",
        "wait for it to finish; if it was interrupted, `runctl cancel SPEC` removes the lock",
    ),
    Rule(
        "E0705",
        re.compile(
            r"no resource plugin '(?P<plugin>[\w-]+)'|failed to download plugin|could not "
            r"(?:get|install|download) plugin"
        ),
        "the Pulumi plugin {plugin} is missing and could not be installed",
        "run `runctl doctor --install` where the network allows (it installs the aws plugin "
        "matching the installed pulumi_aws)",
    ),
    Rule(
        "E0704",
        re.compile(
            r"no valid credential sources|ExpiredToken|InvalidClientTokenId|security token "
            r"included in the request is (?:expired|invalid)|NoCredentialProviders|"
            r"failed to refresh cached credentials"
        ),
        "AWS credentials are missing, invalid or expired",
        "log in again (e.g. `aws sso login` or export AWS_PROFILE), then `runctl doctor` shows "
        "the account in use",
    ),
    Rule(
        "E0706",
        re.compile(
            r"InsufficientInstanceCapacity|InsufficientCapacity\b|Unsupported: Your requested instance type"
        ),
        "AWS has no capacity for {itype} in {zone} right now{spot}",
        "try again later, another zone (network.zone), another instance type, or on-demand instead of spot",
    ),
    Rule(
        "E0706",
        re.compile(r"MaxSpotInstanceCountExceeded|SpotMaxPriceTooLow"),
        "the spot request for {itype} was refused ({what})",
        "raise spot.max_price_usd, use on-demand, or ask for a higher spot quota in Service Quotas",
    ),
    Rule(
        "E0706",
        re.compile(r"VcpuLimitExceeded"),
        "the vCPU quota for {itype} is too low: {quota}",
        "request an increase in the Service Quotas console (EC2, quota {quota}); new accounts "
        "start at 0 for GPU instances",
    ),
    Rule(
        "E0706",
        re.compile(r"UnauthorizedOperation|AccessDenied|is not authorized to perform"),
        "AWS refused the action {action}",
        "grant {action} to the identity applying (see `runctl doctor` for the ARN)",
    ),
)


_TRACEBACK = re.compile(r"Traceback \(most recent call last\):\n(?:[ \t].*\n|\n)*(?P<last>[^\s].*)")
_RUNPOD = re.compile(r"RunPod API (?P<status>\d+): (?P<what>[^\n|]*?)(?: \((?P<hint>[^()]*)\))?\s*$", re.M)


def readable(text: str) -> str:
    """A Python traceback that a dynamic provider sent as its error (pulumi.dynamic's host does) cut
    to its last line, the exception, without the exception's module path."""
    return _TRACEBACK.sub(lambda m: re.sub(r"^[\w.]+Error: ", "", m.group("last")), text)


def _runpod(text: str) -> Diagnostic | None:
    m = _RUNPOD.search(text)
    if m is None:
        return None
    return Diagnostic(
        Severity.ERROR,
        "E0725",
        _at(text) + f"RunPod refused the request ({m['status']}): {m['what']}",
        hint=m["hint"] or "see RunPod's message; `runctl status SPEC` shows what exists",
    )


# the stack's own errors that only say that a resource failed (the resource's error says why)
_GENERIC = (
    "update failed",
    "destroy failed",
    "preview failed",
    "refresh failed",
    "resource monitor has terminated",
)
_HEADER = re.compile(r"^\s*(?P<type>[\w-]+:[\w/.-]+:\w+) \((?P<name>[^)]+)\):\s*$")
_ERROR = re.compile(r"\berror: (?P<msg>.+)$")


def resource_errors(text: str) -> list[tuple[str | None, str]]:
    """(resource, error) pairs of the CLI's `Diagnostics:` section, each once, in order; the stack's
    own errors have no resource. Without that section: every `error:` line, each once."""
    _, found, section = text.partition("\nDiagnostics:\n")
    lines = section.splitlines() if found else text.splitlines()
    out: list[tuple[str | None, str]] = []
    resource: str | None = None
    for line in lines:
        header = _HEADER.match(line)
        if header:
            resource = None if header["type"] == STACK_TYPE else header["name"]
            continue
        if found and line and not line.startswith(" "):
            break  # `Resources:`: the section ended
        m = _ERROR.search(line.strip())
        if m and (resource, m["msg"].strip()) not in out:
            out.append((resource, m["msg"].strip()))
    return out


def failure_detail(text: str) -> str:
    """One cause, whole, with the resource named: the failed resources' own errors first (the
    stack's generic `update failed` only when there is nothing else)."""
    errors = resource_errors(text)
    specific = [(r, m) for r, m in errors if not m.lower().startswith(_GENERIC)]
    chosen = [e for e in specific if e[0] is not None] or specific or errors
    shown = [f"{r}: {m}" if r else m for r, m in chosen[:3]]
    more = f" (and {len(chosen) - 3} more errors)" if len(chosen) > 3 else ""
    return "; ".join(shown) + more


def pending_operations(text: str) -> list[tuple[str, str]]:
    """(urn, what it was doing) for each pending operation the CLI listed."""
    return _PENDING.findall(text)


def classify(text: str, *, operation: str = "update") -> Diagnostic:
    """A diagnostic for a failed CLI run, from its stdout + stderr."""
    runpod = _runpod(text)
    if runpod is not None:
        return runpod
    text = readable(text)
    for rule in RULES:
        m = rule.pattern.search(text)
        if not m:
            continue
        fields = _fields(text, m)
        return Diagnostic(
            Severity.ERROR,
            rule.code,
            _at(text) + rule.message.format(**fields),
            hint=rule.hint.format(**fields),
        )
    pending = pending_operations(text)
    if pending:
        names = ", ".join(f"{urn.rsplit('::', 1)[-1]} ({what})" for urn, what in pending)
        return Diagnostic(
            Severity.ERROR,
            "E0703",
            f"an earlier update was interrupted; pending operations: {names}",
            hint="run `runctl recover SPEC`: it explains what may exist in AWS and repairs the state",
        )
    detail = failure_detail(text) or "see the engine output above"
    return Diagnostic(
        Severity.ERROR,
        "E0707",
        f"the engine {operation} failed: {detail}",
        hint="fix the cause and run it again; `runctl status SPEC` shows what exists",
    )


def _at(text: str) -> str:
    """`name: ` of the first failed resource (not the stack itself), or ""."""
    named = [r for r, _ in resource_errors(text) if r is not None]
    if named:
        return f"{named[0]}: "
    m = _RESOURCE.search(text)
    return f"{m.group('name')}: " if m else ""


def _fields(text: str, m: re.Match[str]) -> dict[str, str]:
    holder = _LOCK_HOLDER.search(text)
    itype_m = _INSTANCE_TYPE.search(text[m.start() : m.start() + 400]) or _INSTANCE_TYPE.search(text)
    itype = itype_m.group(1) if itype_m else "the instance type"
    zone_m = _ZONE.search(text[m.start() :])
    action_m = re.search(r"perform: ([a-z0-9-]+:[A-Za-z0-9*]+)", text)
    # trn/inf by their prefix; any other t*, i* family (t3, i4i) is a standard instance
    family = next((f for f in ("trn", "inf") if itype.startswith(f)), itype[:1]) if itype_m else ""
    urn = m.groupdict().get("urn") or ""
    return {
        "protected": urn.rsplit("::", 1)[-1] or "a resource",
        "holder": f" ({holder['who']}, pid {holder['pid']}, since {holder['when']})" if holder else "",
        "plugin": (m.groupdict().get("plugin") or "aws").removeprefix("pulumi-resource-"),
        "itype": itype,
        "zone": zone_m.group(1) if zone_m else "the chosen zone",
        "spot": " (spot)" if "spot" in text.lower() else "",
        "what": m.group(0),
        "quota": QUOTAS.get(family, STANDARD_QUOTA),
        "action": action_m.group(1) if action_m else "(see the engine output)",
    }


# AWS error codes that mean "no capacity for this type/zone/market now": apply fails over to the next
# capacity candidate on these (EC2 API error codes reference:
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). VcpuLimitExceeded is a
# quota: another candidate of the same family hits the same quota, so it never fails over.
CAPACITY_CODES = (
    "InsufficientInstanceCapacity",
    "InsufficientCapacity",
    "SpotMaxPriceTooLow",
    "MaxSpotInstanceCountExceeded",
    "Unsupported",
)
_CAPACITY = re.compile(r"\b(" + "|".join(CAPACITY_CODES) + r")\b(?!\w)")


@dataclass
class CapacityError(DiagnosticError):
    """An update refused for lack of capacity (`reason`: the AWS code); the resource that failed."""

    reason: str = ""
    resource: str = ""


def capacity_reason(text: str) -> str | None:
    """The AWS capacity error code in an engine failure, unless it is (also) a quota error."""
    if "VcpuLimitExceeded" in text:
        return None
    m = _CAPACITY.search(text)
    return m.group(1) if m else None


def engine_error(exc: BaseException, *, operation: str = "update") -> DiagnosticError:
    """Wrap an SDK exception (CommandError and friends) as a DiagnosticError (CapacityError for capacity)."""
    text = str(exc)
    diagnostic = classify(text, operation=operation)
    reason = capacity_reason(text)
    if reason is not None:
        where = _RESOURCE.search(text)
        return CapacityError([diagnostic], reason=reason, resource=where.group("name") if where else "")
    return DiagnosticError([diagnostic])
