"""Carry out a `GcPlan`: engine destroys first, then tag sweeps in dependency order, with an audit line each.

Order (`model.PHASES`): instances are terminated and waited for, then volumes
(detached first), placement groups, security groups, instance profiles (roles
removed first), roles (policies detached and inline policies deleted first), SSM
parameters, then buckets (emptied of every object version first, which the
planner allows only with `--delete-data`). Within a phase, deletions run
concurrently on a bounded pool; every AWS call goes through botocore's adaptive
retry mode (`aws.Clients`). Every wait is a boto3 waiter with a deadline.

A resource already gone counts as done (`gone`), so a rerun or a race with
another cleanup is harmless. A failure is recorded and the sweep goes on: a later
phase may then fail on its dependency, and that is recorded too.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.teardown.audit import AuditLog
from runctl_iac.teardown.aws import WORKERS, Clients, error_code, short_error
from runctl_iac.teardown.gc import Deletion, GcPlan, Probe, StackDestroy, sweep_decisions
from runctl_iac.teardown.model import GLOBAL_REGION, PHASES, Kind, ManagedResource

# destroy_stack(project, stack, backend_url) -> anything; raises when the engine cannot destroy it
DestroyStack = Callable[[str, str, str], object]

GONE = {
    "InvalidInstanceID.NotFound",
    "InvalidVolume.NotFound",
    "InvalidGroup.NotFound",
    "InvalidPlacementGroup.Unknown",
    "NoSuchEntity",
    "ParameterNotFound",
    "NoSuchBucket",
}
INSTANCE_WAIT = {"Delay": 5, "MaxAttempts": 120}  # up to 10 minutes for instances to terminate
VOLUME_WAIT = {"Delay": 5, "MaxAttempts": 60}  # up to 5 minutes for a detach


@dataclass(frozen=True)
class Outcome:
    project: str
    stack: str
    what: str
    action: str
    result: str  # ok | gone | failed
    reason: str
    hourly_usd: Decimal | None = None
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.result in ("ok", "gone")


@dataclass
class GcResult:
    plan: GcPlan
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.done]

    @property
    def hourly_saved(self) -> Decimal:
        return sum((o.hourly_usd or Decimal(0) for o in self.outcomes if o.done), Decimal(0))


class _Sweeper:
    def __init__(self, clients: Clients, audit: AuditLog, iam_region: str) -> None:
        self.clients = clients
        self.audit = audit
        self.iam_region = iam_region

    def client(self, service: str, res: ManagedResource) -> Any:
        return self.clients.get(service, self.iam_region if res.region == GLOBAL_REGION else res.region)

    def log(
        self, res: ManagedResource, action: str, result: str, reason: str, error: str | None = None
    ) -> None:
        self.audit.write(
            action=action,
            kind=res.kind.value,
            resource=res.id,
            region=res.region,
            project=res.project,
            stack=res.stack,
            reason=reason,
            result=result,
            error=error,
        )

    def run(self, deletion: Deletion, step: Callable[[ManagedResource, str], None], action: str) -> Outcome:
        res = deletion.resource
        try:
            step(res, deletion.reason)
            result, error = "ok", None
        except Exception as exc:
            result, error = ("gone", None) if error_code(exc) in GONE else ("failed", short_error(exc))
        self.log(res, action, result, deletion.reason, error)
        return Outcome(
            res.project, res.stack, res.label, action, result, deletion.reason, deletion.hourly_usd, error
        )

    # -- one step per kind ----------------------------------------------------------------------
    def terminate(self, res: ManagedResource, reason: str) -> None:
        ec2 = self.client("ec2", res)
        ec2.terminate_instances(InstanceIds=[res.id])
        ec2.get_waiter("instance_terminated").wait(InstanceIds=[res.id], WaiterConfig=INSTANCE_WAIT)

    def delete_volume(self, res: ManagedResource, reason: str) -> None:
        ec2 = self.client("ec2", res)
        volume = ec2.describe_volumes(VolumeIds=[res.id])["Volumes"][0]
        for attachment in volume.get("Attachments", []):
            try:  # naming the instance is optional in EC2, and needed by moto
                ec2.detach_volume(VolumeId=res.id, InstanceId=attachment["InstanceId"], Force=True)
                self.log(res, "detach", "ok", reason)
            except Exception as exc:
                if error_code(exc) != "IncorrectState":
                    self.log(res, "detach", "failed", reason, short_error(exc))
                    raise
        if volume.get("Attachments") or volume.get("State") == "in-use":
            ec2.get_waiter("volume_available").wait(VolumeIds=[res.id], WaiterConfig=VOLUME_WAIT)
        ec2.delete_volume(VolumeId=res.id)

    def delete_placement_group(self, res: ManagedResource, reason: str) -> None:
        self.client("ec2", res).delete_placement_group(GroupName=res.id)

    def delete_security_group(self, res: ManagedResource, reason: str) -> None:
        self.client("ec2", res).delete_security_group(GroupId=res.id)

    def delete_profile(self, res: ManagedResource, reason: str) -> None:
        iam = self.client("iam", res)
        profile = iam.get_instance_profile(InstanceProfileName=res.id)["InstanceProfile"]
        for role in profile.get("Roles", []):
            iam.remove_role_from_instance_profile(InstanceProfileName=res.id, RoleName=role["RoleName"])
        iam.delete_instance_profile(InstanceProfileName=res.id)

    def delete_role(self, res: ManagedResource, reason: str) -> None:
        iam = self.client("iam", res)
        for page in iam.get_paginator("list_instance_profiles_for_role").paginate(RoleName=res.id):
            for profile in page.get("InstanceProfiles", []):
                name = profile["InstanceProfileName"]
                iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=res.id)
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=res.id):
            for policy in page.get("AttachedPolicies", []):
                iam.detach_role_policy(RoleName=res.id, PolicyArn=policy["PolicyArn"])
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=res.id):
            for name in page.get("PolicyNames", []):
                iam.delete_role_policy(RoleName=res.id, PolicyName=name)
        iam.delete_role(RoleName=res.id)

    def delete_parameter(self, res: ManagedResource, reason: str) -> None:
        self.client("ssm", res).delete_parameter(Name=res.id)

    def delete_bucket(self, res: ManagedResource, reason: str) -> None:
        s3 = self.client("s3", res)
        removed = 0
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=res.id):
            batch = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            for start in range(0, len(batch), 1000):  # DeleteObjects takes at most 1,000 keys
                s3.delete_objects(
                    Bucket=res.id, Delete={"Objects": batch[start : start + 1000], "Quiet": True}
                )
                removed += len(batch[start : start + 1000])
        if removed:
            self.log(res, "empty", "ok", f"{reason}; {removed} object versions removed (--delete-data)")
        s3.delete_bucket(Bucket=res.id)

    def delete_runpod(self, res: ManagedResource, reason: str) -> None:
        from runctl_iac.teardown.runpod import delete

        delete(res)

    def steps(self) -> dict[Kind, tuple[Callable[[ManagedResource, str], None], str]]:
        return {
            Kind.INSTANCE: (self.terminate, "terminate"),
            Kind.VOLUME: (self.delete_volume, "delete"),
            Kind.PLACEMENT_GROUP: (self.delete_placement_group, "delete"),
            Kind.SECURITY_GROUP: (self.delete_security_group, "delete"),
            Kind.INSTANCE_PROFILE: (self.delete_profile, "delete"),
            Kind.ROLE: (self.delete_role, "delete"),
            Kind.PARAMETER: (self.delete_parameter, "delete"),
            Kind.BUCKET: (self.delete_bucket, "delete"),
            Kind.RUNPOD_POD: (self.delete_runpod, "terminate"),
            Kind.RUNPOD_VOLUME: (self.delete_runpod, "delete"),
        }

    def sweep(self, deletions: list[Deletion]) -> list[Outcome]:
        steps = self.steps()
        outcomes: list[Outcome] = []
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for phase in PHASES:
                todo = [d for d in deletions if d.resource.kind in phase]
                outcomes.extend(
                    pool.map(lambda d: self.run(d, *steps[d.resource.kind]), todo)
                )  # each phase ends before the next starts
        return outcomes


def execute(
    plan: GcPlan,
    *,
    clients: Clients,
    audit: AuditLog,
    probe: Probe,
    iam_region: str,
    backend_url: str,
    destroy_stack: DestroyStack | None = None,
) -> GcResult:
    """Do what `plan` says (the caller has the user's --yes). Engine destroys run first, one stack at a
    time; a stack the engine fails to destroy is swept by tags instead, under the same rules."""
    sweeper = _Sweeper(clients, audit, iam_region)
    result = GcResult(plan)
    deletions = list(plan.deletions)
    for destroy in plan.destroys:
        outcome = _destroy(destroy, destroy_stack, destroy.backend_url or backend_url, audit)
        result.outcomes.append(outcome)
        if not outcome.done:
            fallback = sweep_decisions(
                list(destroy.resources),
                destroy.reason + "; engine destroy failed, swept by tags",
                plan.options,
                probe,
                plan.now,
            )
            deletions.extend(fallback.deletions)
            plan.kept.extend(fallback.kept)
    result.outcomes.extend(sweeper.sweep(deletions))
    return result


def _destroy(
    destroy: StackDestroy, destroy_stack: DestroyStack | None, backend_url: str, audit: AuditLog
) -> Outcome:
    error = None
    if destroy_stack is None:
        error = "no engine available"
    else:
        try:
            destroy_stack(destroy.project, destroy.stack, backend_url)
        except DiagnosticError as exc:  # the engine's own diagnostic, told as such (never a repr)
            error = "; ".join(f"{d.code} {d.message}" for d in exc.diagnostics)
        except Exception as exc:
            error = short_error(exc)
    result = "failed" if error else "ok"
    audit.write(
        action="destroy-stack",
        kind="stack",
        resource=f"{destroy.project}/{destroy.stack}",
        region=None,
        project=destroy.project,
        stack=destroy.stack,
        reason=destroy.reason,
        result=result,
        error=error,
    )
    what = f"stack {destroy.project}/{destroy.stack}"
    return Outcome(
        destroy.project,
        destroy.stack,
        what,
        "destroy-stack",
        result,
        destroy.reason,
        destroy.hourly_usd,
        error,
    )
