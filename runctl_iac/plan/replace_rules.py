"""Which property changes replace a resource, and which are updated in place.

One table per Pulumi type token. The facts come from the AWS provider that
pulumi-aws 7.x bridges: terraform-provider-aws marks the attributes whose change
destroys and re-creates the resource as `ForceNew` in each resource's schema
(file named in each table's `source`), and pulumi-aws's generated docs repeat
the in-place behaviours worth a note (e.g. `instance_type`: "Updates to this
field will trigger a stop/start of the EC2 instance").

Paths are dotted property paths as in the Graph (pulumi_aws Python argument
names; nested dicts use the `*Args` field names). A rule path matches a changed
path when they are equal, when the changed path lies under it (a change inside
`instance_market_options` replaces), or when the changed path lies above it (the
whole `root_block_device` block changed shape, so its `encrypted` may have too).

Anything a known type's table does not list is an in-place update (the provider
default for non-ForceNew attributes).

Unknown types (a type token with no table here): every change is treated as a
REPLACE, with a note saying the rules are unknown. Over-reporting a replacement
makes a reviewer look twice; under-reporting one could let a destructive change
through review looking like a harmless update. A test asserts that every type
the compiler emits for the examples has a table, so this is a safety net only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from runctl_iac.compiler.runpod import NETWORK_VOLUME as RUNPOD_NETWORK_VOLUME
from runctl_iac.compiler.runpod import POD as RUNPOD_POD

PROVIDER_TYPE = "pulumi:providers:aws"
INSTANCE_TYPE = "aws:ec2/instance:Instance"
VOLUME_TYPE = "aws:ebs/volume:Volume"
SNAPSHOT_TYPE = "aws:ebs/snapshot:Snapshot"
ATTACHMENT_TYPE = "aws:ec2/volumeAttachment:VolumeAttachment"
BUCKET_TYPE = "aws:s3/bucket:Bucket"

# Resources whose delete or replacement destroys user data (unless retained).
DATA_TYPES = frozenset({VOLUME_TYPE, BUCKET_TYPE})

UNKNOWN_TYPE_NOTE = "no replacement rules for this type: assuming every change replaces it"

_TAGS_NOTE = "tags only"
STATE_ONLY = "state only: nothing changes in AWS"


@dataclass(frozen=True)
class TypeRules:
    token: str
    source: str  # where the facts come from
    replace: frozenset[str]  # paths whose change forces replacement (ForceNew)
    notes: Mapping[str, str] = field(default_factory=dict)  # in-place update paths worth a note
    grow_only: frozenset[str] = frozenset()  # numeric paths that can only grow (shrink: E0508)
    # paths set from an apply-time lookup (Invoke) whose answer usually survives a change of its inputs
    lookups: frozenset[str] = frozenset()


def _rules(
    token: str,
    source: str,
    replace: set[str],
    notes: dict[str, str] | None = None,
    grow_only: set[str] | None = None,
    lookups: set[str] | None = None,
) -> TypeRules:
    notes = {"tags": _TAGS_NOTE, **(notes or {})}
    return TypeRules(
        token, source, frozenset(replace), notes, frozenset(grow_only or ()), frozenset(lookups or ())
    )


_TF = "terraform-provider-aws internal/service/"

_MODIFY_ROOT = "root disk modified in place (EBS ModifyVolume), no restart"
_MODIFY_VOL = "modified in place (EBS ModifyVolume); AWS allows one modification per volume every 6 hours"

_POD_RESET = "updated in place: RunPod resets the pod (its container restarts)"

_TABLES: tuple[TypeRules, ...] = (
    _rules(
        INSTANCE_TYPE,
        _TF + "ec2/ec2_instance.go (resourceInstance schema, ForceNew); pulumi-aws aws.ec2.Instance docs",
        replace={
            "ami",
            "availability_zone",
            "subnet_id",
            "instance_market_options",  # spot options: the whole block is ForceNew
            "placement_group",
            "placement_partition_number",
            "root_block_device.encrypted",
            "root_block_device.kms_key_id",
            "key_name",
            "private_ip",
            "associate_public_ip_address",
            "ipv6_addresses",
            "ipv6_address_count",
            "security_groups",  # names (EC2-classic style); vpc_security_group_ids is in place
            "launch_template",
            "hibernation",
            "host_id",
            "cpu_options",
            "enclave_options",
            "private_dns_name_options",
            "ebs_block_devices",
            "ephemeral_block_devices",
            "network_interfaces",
        },
        notes={
            "instance_type": "stop/start of the instance (a few minutes of downtime)",
            "user_data": "stop/start of the instance",
            "user_data_base64": "stop/start of the instance",
            "iam_instance_profile": "profile re-associated in place, no restart",
            "metadata_options": "in place (ModifyInstanceMetadataOptions), no restart",
            "vpc_security_group_ids": "security groups swapped in place, no restart",
            "root_block_device.volume_size": _MODIFY_ROOT + "; the size can only grow",
            "root_block_device.volume_type": _MODIFY_ROOT,
            "root_block_device.iops": _MODIFY_ROOT,
            "root_block_device.throughput": _MODIFY_ROOT,
        },
        grow_only={"root_block_device.volume_size"},
        # the compiler picks the zone with a getInstanceTypeOfferings lookup filtered by instance type:
        # a type change changes the lookup's inputs, but usually not its answer
        lookups={"availability_zone"},
    ),
    _rules(
        VOLUME_TYPE,
        _TF + "ec2/ebs_volume.go (resourceEBSVolume schema, ForceNew)",
        replace={"availability_zone", "snapshot_id", "encrypted", "kms_key_id", "outpost_arn"},
        notes={
            "size": _MODIFY_VOL + "; the size can only grow, then grow the filesystem",
            "type": _MODIFY_VOL,
            "iops": _MODIFY_VOL,
            "throughput": _MODIFY_VOL,
        },
        grow_only={"size"},
    ),
    _rules(
        SNAPSHOT_TYPE,
        _TF + "ec2/ebs_snapshot.go (resourceEBSSnapshot schema, ForceNew)",
        replace={"volume_id", "description", "outpost_arn"},
    ),
    _rules(
        ATTACHMENT_TYPE,
        _TF + "ec2/ebs_volume_attachment.go (resourceVolumeAttachment schema, ForceNew)",
        replace={"device_name", "instance_id", "volume_id"},
        notes={k: STATE_ONLY for k in ("force_detach", "skip_destroy", "stop_instance_before_detaching")},
    ),
    _rules(
        BUCKET_TYPE,
        _TF + "s3/bucket.go (resourceBucket schema, ForceNew)",
        replace={"bucket", "bucket_prefix", "object_lock_enabled"},
        notes={"force_destroy": STATE_ONLY},
    ),
    _rules(
        "aws:s3/bucketVersioning:BucketVersioning",
        _TF + "s3/bucket_versioning.go (ForceNew: bucket, expected_bucket_owner)",
        replace={"bucket", "expected_bucket_owner"},
    ),
    _rules(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        _TF + "s3/bucket_public_access_block.go (ForceNew: bucket)",
        replace={"bucket"},
    ),
    _rules(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        _TF + "s3/bucket_server_side_encryption_configuration.go (ForceNew: bucket, expected_bucket_owner)",
        replace={"bucket", "expected_bucket_owner"},
    ),
    _rules(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        _TF + "s3/bucket_lifecycle_configuration.go (RequiresReplace: bucket, expected_bucket_owner)",
        replace={"bucket", "expected_bucket_owner"},
    ),
    _rules(
        "aws:ec2/securityGroup:SecurityGroup",
        _TF + "ec2/vpc_security_group.go (ForceNew: name, name_prefix, description, vpc_id)",
        replace={"name", "name_prefix", "description", "vpc_id"},
        notes={"ingress": "rules changed in place", "egress": "rules changed in place"},
    ),
    _rules(
        "aws:iam/role:Role",
        _TF + "iam/role.go (ForceNew: name, name_prefix, path)",
        replace={"name", "name_prefix", "path"},
        notes={"assume_role_policy": "trust policy updated in place"},
    ),
    _rules(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        _TF + "iam/role_policy_attachment.go (ForceNew: role, policy_arn)",
        replace={"role", "policy_arn"},
    ),
    _rules(
        "aws:iam/rolePolicy:RolePolicy",
        _TF + "iam/role_policy.go (ForceNew: name, name_prefix, role)",
        replace={"name", "name_prefix", "role"},
        notes={"policy": "inline policy updated in place"},
    ),
    _rules(
        "aws:iam/instanceProfile:InstanceProfile",
        _TF + "iam/instance_profile.go (ForceNew: name, name_prefix, path)",
        replace={"name", "name_prefix", "path"},
        notes={"role": "role swapped in place"},
    ),
    _rules(
        "aws:ec2/placementGroup:PlacementGroup",
        _TF + "ec2/ec2_placement_group.go (ForceNew: name, strategy, partition_count, spread_level)",
        replace={"name", "strategy", "partition_count", "spread_level"},
    ),
    _rules(
        "aws:ssm/parameter:Parameter",
        _TF + "ssm/parameter.go (ForceNew: name, data_type)",
        replace={"name", "data_type"},
        notes={"value": "new parameter version"},
    ),
    _rules(
        PROVIDER_TYPE,
        "Pulumi explicit provider: a region change re-creates everything it manages in the new region "
        "(the resources are physically new); other provider settings are updated in place",
        replace={"region"},
        notes={"default_tags": "the tags of every resource are updated in place"},
    ),
    _rules(
        RUNPOD_POD,
        "RunPod REST API: PATCH /pods/{podId} updates name, imageName, env, ports, containerDiskInGb, "
        "volumeInGb, volumeMountPath, dockerStartCmd and resets the pod; anything else needs a new pod "
        "(runctl's Pulumi dynamic provider replaces it) "
        "(https://docs.runpod.io/api-reference/pods/PATCH/pods/podId)",
        replace={
            "gpu_type_ids",
            "gpu_count",
            "cloud_type",
            "compute_type",
            "data_center_ids",
            "interruptible",
            "network_volume_id",
        },
        notes={
            **{
                p: _POD_RESET
                for p in (
                    "image_name",
                    "env",
                    "ports",
                    "container_disk_in_gb",
                    "volume_mount_path",
                    "docker_start_cmd",
                    "aws_access_key_id",
                    "aws_secret_access_key",
                )
            },
            "volume_in_gb": "pod volume grown in place (the pod restarts)",
            "api_key": "state only: the key runctl calls RunPod with",
        },
        grow_only={"volume_in_gb"},
    ),
    _rules(
        RUNPOD_NETWORK_VOLUME,
        "RunPod REST API: PATCH /networkvolumes/{networkVolumeId} renames or grows a volume; its data "
        "center is fixed, as in runctl's Pulumi dynamic provider "
        "(https://docs.runpod.io/api-reference/network-volumes/PATCH/networkvolumes/"
        "networkVolumeId)",
        replace={"data_center_id"},
        notes={"size": "resized in place (sizes can only grow)", "api_key": "state only"},
        grow_only={"size"},
    ),
)

RULES: Mapping[str, TypeRules] = {t.token: t for t in _TABLES}


def rules_for(token: str) -> TypeRules | None:
    return RULES.get(token)


def _matches(rule: str, path: str) -> bool:
    return path == rule or path.startswith(rule + ".") or rule.startswith(path + ".")


def forces_replacement(token: str, path: str) -> bool:
    """True when changing `path` on a resource of type `token` destroys and re-creates it."""
    rules = RULES.get(token)
    if rules is None:
        return True  # unknown type: assume the worst (see module docstring)
    return any(_matches(rule, path) for rule in rules.replace)


def update_note(token: str, path: str) -> str | None:
    """The note for an in-place change of `path` (longest matching rule), if any."""
    rules = RULES.get(token)
    if rules is None:
        return UNKNOWN_TYPE_NOTE
    best: str | None = None
    for rule in rules.notes:
        if (path == rule or path.startswith(rule + ".")) and (best is None or len(rule) > len(best)):
            best = rule
    return rules.notes[best] if best is not None else None


def is_uncertain_lookup(token: str, path: str, old: Any, new: Any) -> bool:
    """True when `path` is a lookup path for this type and only the lookup's inputs changed.

    `old` and `new` are encoded values; the answer is only known when the program runs, and is
    usually the same (e.g. the zone for a new instance type), so the change is reported with a
    note instead of as a replacement. `runctl plan --engine` shows the real answer.
    """
    rules = RULES.get(token)
    if rules is None or path not in rules.lookups:
        return False
    if not (isinstance(old, dict) and isinstance(new, dict) and "$invoke" in old and "$invoke" in new):
        return False
    return bool(old["$invoke"] == new["$invoke"] and old.get("attr") == new.get("attr"))


def stays_in_zone(token: str, path: str, old: Any, new: Any) -> bool:
    """A volume that stops following its instance's zone for a literal one: the instance moves on
    (`move_volumes: snapshot`) and the volume, kept, stays where it is, with the zone the engine
    resolved before (`compiler.volumes`). Encoded values, as for `is_uncertain_lookup`."""
    ref = old.get("$ref") if isinstance(old, dict) else None
    return (
        token == VOLUME_TYPE
        and path == "availability_zone"
        and isinstance(ref, str)
        and ref.startswith("instance.")
        and ref.endswith(".availability_zone")
        and isinstance(new, str)
    )


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def is_shrink(token: str, path: str, old: Any, new: Any) -> bool:
    """True when `path` can only grow for this type and `new` is smaller than `old` (E0508)."""
    rules = RULES.get(token)
    if rules is None or path not in rules.grow_only:
        return False
    o, n = _number(old), _number(new)
    return o is not None and n is not None and n < o
