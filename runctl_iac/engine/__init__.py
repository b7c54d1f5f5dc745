"""The engine: the Pulumi program (a Graph interpreter) and, later, the Automation API driver.

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
