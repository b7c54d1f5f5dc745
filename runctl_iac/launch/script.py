"""The node script: one bash template (`node.sh`), one block of rendered values per node.

Every value runctl puts into a script goes through `shlex.quote` into the
RENDERED VALUES block, as `NAME=value` or `NAME=(value ...)`; the body of the
template is static bash that only reads those variables, so quotes, `$(...)`,
backticks and newlines in env values, paths or commands stay inert.

Values known only at launch are `Runtime`; without one (`runctl launch
--print-script`, offline) the script reads them from the environment at run
time instead: `RUNCTL_RUN_ID`, `RUNCTL_BUCKET`, `RUNCTL_NODE_IPS` (comma
separated, rank order), `RUNCTL_CODE_URI`, and `RUNCTL_VOLUME_ID_<i>` for the
node's i-th mount. Secret VALUES are never rendered: the script reads them from
SSM Parameter Store on the node (`SECRET_PARAMETERS`).
"""

from __future__ import annotations

import functools
import hashlib
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

from runctl_iac import staging
from runctl_iac.accelerators import lookup
from runctl_iac.compiler.graph import LaunchPlan
from runctl_iac.prices import instance_unit_price

MARKER = "# @@RENDERED_VALUES@@"
OVERRIDES_MARKER = "# @@LOCAL_OVERRIDES@@"  # here.sh (`run --here`) or pod.sh (a RunPod pod) goes there
PARTS = {"# @@AUTOSTOP@@": "autostop.sh", "# @@S3@@": "s3.sh"}  # marker -> part of node.sh
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STATE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
CHECKPOINT_PREFIX = "runctl-checkpoints"


@dataclass(frozen=True)
class Runtime:
    """Values known only at launch (after apply), written into the script by `runctl launch`."""

    run_id: str
    bucket: str  # physical name of the staging bucket
    node_ips: tuple[str, ...]  # private IPs in rank order; rank 0 is the master
    code_uri: str = ""  # s3://.../code.tar.gz (uploaded local dir), an s3:// prefix, or "" (no code)
    volume_ids: Mapping[str, str] = field(default_factory=dict)  # volume resource id -> vol-...
    restart: int = 0  # > 0: a relaunch of the same run after an interruption (`runctl watch`)


@functools.cache
def template() -> str:
    """node.sh with its parts (autostop.sh, s3.sh) in place."""
    folder = resources.files("runctl_iac.launch")
    text = folder.joinpath("node.sh").read_text(encoding="utf-8")
    for marker in (MARKER, *PARTS):
        if marker not in text:
            raise RuntimeError(f"node.sh has no {marker!r} marker")
    for marker, part in PARTS.items():
        text = text.replace(marker, folder.joinpath(part).read_text(encoding="utf-8").rstrip(), 1)
    return text


def _micro(usd: Decimal | None) -> int:
    return 0 if usd is None else int((usd * 1_000_000).to_integral_value(rounding=ROUND_HALF_UP))


def node_hourly_usd(plan: LaunchPlan, region: str) -> Decimal | None:
    """One node's $/hour by the plan's one pricing rule (`prices.instance_unit_price`: on-demand, or
    the spot estimate; None: not in the catalog). The node prefers the spot price it reads. A RunPod
    pod: its GPUs at the RunPod catalog's price (`plan.runpod_cost`), interruptible or not."""
    if plan.provider == "runpod":
        from runctl_iac.plan.runpod_cost import runpod_catalog

        unit = runpod_catalog().gpu_hour(plan.instance_type, plan.spot)
        return None if unit is None else unit * plan.gpu_count
    max_price = None if plan.spot_max_price_usd is None else Decimal(plan.spot_max_price_usd)
    return instance_unit_price(region, plan.instance_type, spot=plan.spot, max_price=max_price)[0]


def checkpoint_base(plan: LaunchPlan) -> str:
    """Node N syncs its checkpoint directory to `<this>node-N/` in the checkpoint bucket."""
    if plan.checkpoint_bucket is None:
        return ""
    return f"s3://{plan.checkpoint_bucket}/{CHECKPOINT_PREFIX}/"


def state_name(project: str, stack: str) -> str:
    return _STATE_NAME.sub("-", f"{project}-{stack}")


def _q(value: object) -> str:
    return shlex.quote(str(value))


def _arr(values: Sequence[object]) -> str:
    return "(" + " ".join(_q(v) for v in values) + ")"


def _from_env(name: str) -> str:
    return f'"${{{name}:?set by runctl launch at run time}}"'


def render_values(
    plan: LaunchPlan, rank: int | None, project: str, stack: str, region: str, runtime: Runtime | None
) -> str:
    """The RENDERED VALUES block. `rank` None: one script for every node, the rank is its argument."""
    if rank is not None and not 0 <= rank < len(plan.nodes):
        raise ValueError(f"node {rank} does not exist: the group has {len(plan.nodes)} node(s)")
    for name in (*plan.env, *plan.secret_names):
        if not _IDENT.match(name):
            raise ValueError(f"{name!r} is not a shell variable name")
    node = plan.nodes[rank or 0]
    accel = lookup(plan.instance_type)
    setup = plan.setup or ""
    lines = [
        f"STATE_NAME={_q(state_name(project, stack))}",
        # always quoted: shellcheck reads a bare `us-east-1` as arithmetic (SC2100)
        "REGION='" + region.replace("'", "'\"'\"'") + "'",
        f"INSTANCE_TYPE={_q(plan.instance_type)}",
        f"ACCEL_KIND={_q(accel.kind if accel else 'none')}",
        f"ACCEL_COUNT={_q(accel.visible_devices if accel else 0)}",
        f"ACCEL_MODEL={_q(accel.model if accel else '')}",
        f"RUNCTL_NUM_NODES={_q(len(plan.nodes))}",
        'RUNCTL_NODE_RANK="${2:-}"' if rank is None else f'RUNCTL_NODE_RANK="${{2:-{rank}}}"',
    ]
    if runtime is None:
        lines += [
            f"RUNCTL_RUN_ID={_from_env('RUNCTL_RUN_ID')}",
            f"RUNCTL_BUCKET={_from_env('RUNCTL_BUCKET')}",
            f"RUNCTL_NODE_IPS={_from_env('RUNCTL_NODE_IPS')}",
            'RUNCTL_CODE_URI="${RUNCTL_CODE_URI:-}"',
            "ALL_VOLUME_IDS=("
            + " ".join(_from_env(f"RUNCTL_VOLUME_ID_{i}") for i in range(len(node.mounts)))
            + ")",
        ]
    else:
        every_mount = [m.volume_resource for n in plan.nodes for m in n.mounts]
        missing = [v for v in every_mount if v not in runtime.volume_ids]
        if missing:
            raise ValueError(f"no volume id for {', '.join(missing)}")
        lines += [
            f"RUNCTL_RUN_ID={_q(runtime.run_id)}",
            f"RUNCTL_BUCKET={_q(runtime.bucket)}",
            f"RUNCTL_NODE_IPS={_q(','.join(runtime.node_ips))}",
            f"RUNCTL_CODE_URI={_q(runtime.code_uri)}",
            f"ALL_VOLUME_IDS={_arr([runtime.volume_ids[v] for v in every_mount])}",  # rank order
        ]
        if runtime.restart:
            lines.append(f"RUNCTL_RESTART={_q(runtime.restart)}")
    lines += [
        f"MOUNT_PATHS={_arr([m.path for m in node.mounts])}",
        f"MOUNT_DEVICES={_arr([m.device for m in node.mounts])}",
        f"ENV_NAMES={_arr(list(plan.env))}",
        f"ENV_VALUES={_arr(list(plan.env.values()))}",
        f"SECRET_NAMES={_arr(list(plan.secret_parameters))}",
        f"SECRET_PARAMETERS={_arr(list(plan.secret_parameters.values()))}",
        f"S3_RUNS={_q(staging.RUNS)}",  # the staging bucket's keys: runctl_iac/staging.py
        f"S3_NODE_DIR={_q(staging.NODE_DIR.split('{rank}')[0])}",
        f"S3_STATUS_NAME={_q(staging.STATUS_FILE)}",
        f"S3_LOG_NAME={_q(staging.LOG_FILE)}",
        f"S3_STOP_NAME={_q(staging.STOP_FILE)}",
        f"S3_AUTOSTOP_NAME={_q(staging.AUTOSTOP_FILE)}",
        f"CHECKPOINT_DIR={_q(plan.checkpoint_dir or '')}",
        f"CHECKPOINT_S3_BASE={_q(checkpoint_base(plan))}",
        f"CHECKPOINT_EVERY={_q(plan.checkpoint_every_seconds or '')}",
        f"MAX_RUNTIME={_q(plan.max_runtime_seconds or 0)}",
        f"SETUP_HASH={_q(hashlib.sha256(setup.encode()).hexdigest()[:16])}",
        f"SETUP_TEXT={_q(setup)}",
        f"RUN_TEXT={_q(plan.run)}",
        f"AUTOSTOP_IDLE={_q(plan.autostop_idle_seconds or 0)}",
        f"AUTOSTOP_ACTION={_q(plan.autostop_action)}",
        f"GPU_THRESHOLD={_q(plan.gpu_threshold_pct)}",
        f"MAX_RUN_MICRO={_q(_micro(Decimal(plan.max_run_usd) if plan.max_run_usd else None))}",
        f"USD_HOUR_MICRO={_q(_micro(node_hourly_usd(plan, region)))}",
        f"SPOT={_q(1 if plan.spot else 0)}",
    ]
    return "# ---- RENDERED VALUES (every value shell-quoted) ----\n" + "\n".join(lines)


def render_script(
    plan: LaunchPlan,
    rank: int | None,
    *,
    project: str,
    stack: str,
    region: str,
    runtime: Runtime | None = None,
) -> str:
    """The bash script for the plan's group; `rank` is the node it runs as when not given an argument
    (None: the rank must be given, as `runctl launch` does in each node's command). On a RunPod group,
    pod.sh goes in just before the overrides marker (which stays free for `run --here`'s here.sh)."""
    script = template().replace(MARKER, render_values(plan, rank, project, stack, region, runtime), 1)
    if plan.provider == "runpod":
        pod = resources.files("runctl_iac.launch").joinpath("pod.sh").read_text(encoding="utf-8")
        script = with_overrides(script, f"{pod}{OVERRIDES_MARKER}")
    return script


def fetch_and_run_command(bucket: str, run_id: str, rank: int, state: str, region: str) -> str:
    """The SSM command: fetch the node's script from S3 and `start` it (no script or secret inline)."""
    directory = f"/var/lib/runctl/{state}"
    path = f"{directory}/node-{run_id}.sh"
    source = f"s3://{bucket}/{staging.script_key(run_id)}"
    return (
        f"set -e; mkdir -p {_q(directory)}; "
        f"aws s3 cp --quiet --region {_q(region)} {_q(source)} {_q(path)}; bash {_q(path)} start {rank}"
    )


def with_overrides(script: str, overrides: str) -> str:
    """The rendered script with `overrides` (bash that redefines some of its functions) at its marker."""
    if OVERRIDES_MARKER not in script:
        raise RuntimeError("node.sh has no overrides marker")
    return script.replace(OVERRIDES_MARKER, overrides, 1)
