"""One diagnostic type for every user-facing problem, and the stable codes.

A code's letter follows its usual severity (E error, W warning); the number is
stable across releases. The table below is the documentation: the README's
code list is generated from it.
"""

from __future__ import annotations

import enum
import html
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# code -> one-line summary. Grouped by tier: load, schema, semantic, stack, policy, compile.
CODES: dict[str, str] = {
    # E01xx: reading the file
    "E0101": "file not found or not readable",
    "E0102": "file larger than the size limit",
    "E0103": "file is not valid UTF-8",
    "E0104": "file is empty",
    "E0105": "YAML syntax error",
    "E0106": "duplicate key in a mapping",
    "E0107": "tab character in indentation",
    "E0108": "too many YAML alias expansions (possible 'billion laughs')",
    "E0109": "document root is not a mapping",
    "E0110": "unsupported YAML construct (tags, complex keys, multiple documents)",
    # E02xx: schema
    "E0201": "unknown key",
    "E0202": "wrong type",
    "E0203": "required key missing",
    "E0204": "value does not match the expected format",
    "E0205": "value is not one of the allowed values",
    "E0206": "number out of range",
    "E0207": "value violates a schema constraint",
    # E03xx: semantic checks
    "E0301": "EBS volume setting outside AWS limits for its type",
    "E0302": "training.group names an instance group that does not exist",
    "E0303": "instance mounts a volume that does not exist",
    "E0304": "checkpoints.bucket names a bucket that does not exist",
    "E0305": "mount path is not absolute",
    "E0306": "mount path used twice on one instance group",
    "E0307": "volume mounted by more than one instance group",
    "E0308": "duration does not parse or is out of range",
    "E0309": "spot max price must be greater than zero",
    "E0310": "name is both a secret and a plain env variable",
    "W0311": "instance type not in the price catalog (did you mean ...)",
    "E0312": "instance type's family is known but the size is not",
    "W0315": "pinned Deep Learning AMI line is past AWS's end of patch",
    "E0316": "dlami-pytorch-X.Y names no known PyTorch DLAMI line for the instance's architecture",
    "W0317": "ttl is shorter than training.max_runtime (the environment expires mid-run)",
    "E0319": "training.staging_bucket names a bucket that does not exist",
    "W0318": "mapping key that YAML reads as a number, boolean or null (runctl reads its text)",
    "E0320": "training.code names a local folder that does not exist or is not a folder",
    "E0321": "training.autostop.idle is shorter than 5 minutes",
    "E0330": "instance group's type, spot, capacity or subnet contradict each other",
    "E0331": "capacity candidate type unknown to the catalog or not offered in the region",
    "E0332": "capacity zone is not in the spec's region",
    "E0333": "capacity candidate has other accelerators per node than the first",
    "E0340": "a group mounts a volume of the other provider (EBS on a RunPod pod, or the reverse)",
    "E0341": "a RunPod pod's data_centers leave out the data center of its network volume",
    "E0342": "a RunPod pod has both a pod volume and a network volume",
    # E04xx / W04xx: stacks and overlays
    "E0401": "invalid stack name",
    "W0402": "no overlay file for this stack; the spec is used as is",
    "E0405": "--stacks-dir does not exist or is not a directory",
    # E05xx / W05xx: plan-time policy and review
    "E0501": "hourly cost exceeds budget.max_hourly_usd",
    "E0502": "cost per run exceeds budget.max_run_usd",
    "E0503": "more instances than the configured cap",
    "E0504": "region not in the configured allowlist",
    "E0505": "instance type not in the configured allowlist",
    "E0506": "required tag missing",
    "W0507": "change deletes or replaces data (volume or bucket not retained)",
    "E0507": "change deletes or replaces data and --fail-on-data-loss is set",
    "E0508": "volume shrink is not possible",
    "W0509": "cost estimate incomplete (unknown price)",
    "E0510": "project configuration (runctl.toml / [tool.runctl]) is invalid",
    "E0511": "plan base could not be read (git ref, snapshot or --against file)",
    "E0512": "live spot prices could not be read (--live-prices)",
    "E0513": "a budget is set but a price is unknown (the budget cannot be checked)",
    "W0514": "spot max price below the expected spot price (request probably not fulfilled)",
    "W0515": "GPU instances that nothing stops when idle (no autostop, no budget.max_run_usd)",
    "W0520": "region change re-creates a retained bucket whose name is still taken",
    "E0530": "every capacity candidate of a group is over the budget (or unpriced)",
    # E06xx: compile and program
    "E0601": "secret environment variable not set",
    # E07xx / W07xx: engine (apply, destroy, refresh, status, recover, doctor, local target)
    "E0701": "Pulumi CLI not found or too old",
    "E0702": "stack locked by another update",
    "E0703": "pending operations from an interrupted update",
    "E0704": "AWS credentials missing, invalid or expired",
    "E0705": "Pulumi plugin missing and not installable",
    "E0706": "AWS refused the change (capacity, quota, permission)",
    "E0707": "engine operation failed",
    "E0708": "confirmation needed: no terminal and no --yes",
    "E0709": "--plan document does not match the spec being applied",
    "E0710": "backend, passphrase or snapshot store unusable",
    "E0711": "stack not found",
    "E0712": "local emulator not installed or not running",
    "E0713": "operation interrupted (Ctrl-C)",
    "W0714": "runctl doctor: something optional is missing",
    "W0716": "the local target cannot run the training job (apply creates the infrastructure only)",
    "W0717": "the stack applied is already past its expiry",
    "E0720": "nothing to eject: the stack has no configuration here (apply it with runctl first)",
    "E0721": "the eject output folder exists and is not empty",
    "W0722": "the spec differs from what was last applied: the ejected program holds the spec",
    "E0723": "every capacity candidate was tried and none had capacity",
    "E0724": "--candidate N names no candidate of the group (or one over the budget)",
    "E0725": "RunPod refused the change (API key, capacity, rate limit, request)",
    "E0726": "eject cannot write RunPod resources (runctl's own dynamic provider)",
    # E08xx / W08xx: training launch and job
    "E0801": "the spec has no training to launch",
    "E0802": "node rank does not exist in the training group",
    "E0803": "no applied stack outputs for the launch (run `runctl apply` first)",
    "E0804": "SSM agent not online on a node within the timeout",
    "E0805": "the SSM start command failed on a node",
    "E0806": "AWS call failed during launch or job inspection",
    "E0807": "no such run on this stack",
    "E0808": "the job did not succeed on a node (launch --wait)",
    "E0809": "training.code is not a readable directory",
    "W0810": "training code larger than the upload warning threshold",
    "W0811": "last checkpoint sync older than twice checkpoints.every",
    "W0812": "a running node's heartbeat is stale",
    "E0813": "a run is still running and was not stopped (no --yes)",
    "E0814": "the local target cannot run a training job (the emulator has no machines)",
    "E0820": "no GPU on this machine and `runctl run --here --require-gpu` was given",
    "W0821": "no GPU on this machine: the local run's job runs on CPU",
    "E0822": "not enough free disk space for a local run",
    "W0823": "the spec's image is not used by a local run (this machine's Python runs the job)",
    "E0824": "a local run cannot start (training.code is not a local folder, no training, bad --nodes)",
    "E0825": "a secret for a local run is neither in the environment nor given at the prompt",
    "E0826": "no local run of this stack in .runctl/runs (run `runctl run SPEC --here` first)",
    "E0827": "runctl watch: --interval is not a duration",
    "E0828": "runctl watch cannot watch a run in a RunPod pod (it follows EC2 nodes)",
    # E09xx / W09xx: teardown (gc, resources)
    "E0901": "no region to search (--region, regions in runctl.toml, or AWS_REGION)",
    "E0902": "state backend cannot be read (gc reads the stack list of a file:// or s3:// backend)",
    "E0903": "AWS call failed while listing or checking resources",
    "E0904": "invalid gc option (--min-age, --dry-run with --yes; --orphans with no stack needs --project)",
    "E0905": "gc could not remove some resources (see the audit log)",
    "W0906": "the search may be incomplete (a kind could not be listed, or the backend is unreadable)",
}


@dataclass(frozen=True)
class Diagnostic:
    """A problem with a position: rendered as `file:line:col: severity[CODE] path: message`."""

    severity: Severity
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str = ""
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {self.code!r}")

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


@dataclass
class DiagnosticError(Exception):
    """Raised by library code when it cannot go on; carries the diagnostics to print."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{d.code} {d.path}: {d.message}" for d in self.diagnostics)


_HTML_START = re.compile(r"<!doctype html|<html[\s>]", re.IGNORECASE)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]+>")


def without_html(text: str) -> str:
    """An error text with an HTML page in it (an endpoint's error page, e.g. the local emulator's
    500) shortened to the text before it and the page's title; other texts unchanged."""
    start = _HTML_START.search(text)
    if start is None:
        return text
    page = text[start.start() :]
    title = _HTML_TITLE.search(page)
    words = " ".join(html.unescape(title.group(1) if title else _HTML_TAG.sub(" ", page)).split())
    head = text[: start.start()].rstrip().rstrip(":").rstrip()
    if len(words) > 120:
        words = words[:120].rsplit(" ", 1)[0] + " ..."
    page_note = f"an HTML error page: {words}" if words else "an HTML error page"
    return f"{head} ({page_note})" if head else page_note


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


# ---- the compiler form, plain text (colour only when asked; no Rich) ----

_STYLE = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m", Severity.INFO: "\x1b[1;36m"}
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"


def display_path(file: str, cwd: Path | None = None) -> str:
    """`file` relative to `cwd` (default: the current directory) when it lies under it, else as given."""
    # absolute, not resolved: a symlink is shown under its own name (and a symlink loop cannot raise)
    base = Path(os.path.abspath(cwd or Path.cwd()))
    try:
        return Path(os.path.abspath(file)).relative_to(base).as_posix()
    except (ValueError, OSError):
        return file


# control, format (zero-width space, bidi overrides), separator, private-use and unassigned characters
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def escape_invisible(text: str) -> str:
    """`text` with every character a terminal would not show (or would show misleadingly) written as an
    escape: a name holding a zero-width space reads `train\u200ber`, not `trainer`."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for char in text:
        category = unicodedata.category(char)
        if category in _INVISIBLE or (category == "Zs" and char != " "):
            code = ord(char)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)


def format_diagnostic(d: Diagnostic, *, cwd: Path | None = None, colour: bool = False) -> str:
    """One diagnostic: `file:line:col: severity[CODE] path: message`, plus `  hint: ...` when there is one.
    Invisible characters in any part are escaped (see `escape_invisible`)."""
    d = replace(
        d,
        message=escape_invisible(without_html(d.message)),
        path=escape_invisible(d.path),
        hint=escape_invisible(d.hint) if d.hint else d.hint,
        file=escape_invisible(d.file) if d.file else d.file,
    )
    where = ""
    if d.file is not None:
        where = display_path(d.file, cwd)
        if d.line is not None:
            where += f":{d.line}"
            if d.column is not None:
                where += f":{d.column}"
        where += ": "
    label = f"{d.severity.value}[{d.code}]"
    if colour:
        label = f"{_STYLE[d.severity]}{label}{_RESET}"
    subject = f"{d.path}: " if d.path else ""
    text = f"{where}{label} {subject}{d.message}"
    if d.hint:
        text += f"\n  {_DIM}hint:{_RESET} {d.hint}" if colour else f"\n  hint: {d.hint}"
    return text


def render_text(diagnostics: Iterable[Diagnostic], *, cwd: Path | None = None, colour: bool = False) -> str:
    """Every diagnostic, one (or two, with a hint) lines each; ends with a newline unless empty."""
    lines = [format_diagnostic(d, cwd=cwd, colour=colour) for d in diagnostics]
    return "".join(line + "\n" for line in lines)
