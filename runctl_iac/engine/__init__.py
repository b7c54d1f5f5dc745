"""The engine: the Pulumi program (a Graph interpreter) and the Automation API driver.

- `program`: the inline program; `driver`: preview/up/destroy/refresh/cancel over a `Target`;
- `settings`: project root, backend, passphrase; `workspace`: the persistent LocalWorkspace;
- `snapshot`: the applied snapshot beside the state (`read_applied`, the one reader);
- `apply`: `runctl apply` as steps, with the launch seam (`AppliedStack`, `after_up`);
- `progress`: engine events -> progress model and `Changes(source="engine")`;
- `errors`: CLI failures -> diagnostics with hints; `recover`, `status`, `doctor`, `local`.

Import-light on purpose: pulumi and pulumi_aws are imported inside the functions that run the
program, so offline commands can import this package without paying for the SDK.
"""

from runctl_iac.engine.program import (
    SPEC_HASH_OUTPUT,
    check_secret_env,
    make_program,
    secret_env_names,
    with_endpoint,
)

__all__ = ["SPEC_HASH_OUTPUT", "check_secret_env", "make_program", "secret_env_names", "with_endpoint"]
