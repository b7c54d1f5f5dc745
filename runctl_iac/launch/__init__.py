"""The training launch: node scripts, code upload, SSM orchestration, job status, logs, checkpoints.

boto3 is imported lazily, inside the functions that talk to AWS.
"""

from runctl_iac.launch.core import launch_after_apply
from runctl_iac.launch.outputs import AppliedStack, read_outputs

__all__ = ["AppliedStack", "launch_after_apply", "read_outputs"]
