"""The Pulumi CLI's and AWS's own error texts, as the fake CLI (fake_pulumi.py) answers with them.

Sources: pkg/backend/diy/lock.go (the file-backend lock), the Pulumi Cloud 409 conflict, the
plugin loader, terraform-provider-aws credential errors, and EC2 RunInstances API errors.
"""

from __future__ import annotations

NOT_FOUND = "error: no stack named '{stack}' found"
ALREADY = "error: stack '{stack}' already exists"
LOCKED = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
    "or delete the lock file with `pulumi cancel`.\n"
    "  file:///state/.pulumi/locks/organization/{project}/{stack}/5b1b2c2e.json: created by "
    "ci@runner-7 (pid 4242) at 2026-11-27T06:00:00Z"
)
CLOUD_CONFLICT = "error: [409] Conflict: Another update is currently in progress."
PLUGIN_MISSING = (
    "error: could not load plugin for aws provider 'urn:pulumi:dev::p::pulumi:providers:aws::provider.aws':"
    " no resource plugin 'pulumi-resource-aws' found in the workspace at version v7.51.0 or on your "
    "$PATH, install the plugin using `pulumi plugin install resource aws v7.51.0`"
)
NO_CREDENTIALS = (
    "    error: pulumi:providers:aws resource 'provider.aws' has a problem: No valid credential sources "
    "found.\n    Please see https://www.pulumi.com/registry/packages/aws/installation-configuration/\n"
    "    Error: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: "
    "GetMetadata, request canceled, context deadline exceeded"
)
CAPACITY = (
    "  aws:ec2/instance:Instance (instance.trainer.0):\n"
    "    error: creating EC2 Instance: operation error EC2: RunInstances, https response error "
    "StatusCode: 500, RequestID: 3d0c, api error InsufficientInstanceCapacity: We currently do not "
    "have sufficient g5.12xlarge capacity in the Availability Zone you requested (us-east-1a). Our "
    "system will be working on provisioning additional capacity."
)
QUOTA = (
    "  aws:ec2/instance:Instance (instance.trainer.0):\n"
    "    error: creating EC2 Instance: operation error EC2: RunInstances, https response error "
    "StatusCode: 400, RequestID: 9a1f, api error VcpuLimitExceeded: You have requested more vCPU "
    "capacity than your current vCPU limit of 0 allows for the instance bucket that the specified "
    "instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request "
    "an adjustment to this limit. (g5.12xlarge)"
)
UNAUTHORIZED = (
    "  aws:ec2/instance:Instance (instance.trainer.0):\n"
    "    error: creating EC2 Instance: operation error EC2: RunInstances, https response error "
    "StatusCode: 403, RequestID: 77e2, api error UnauthorizedOperation: You are not authorized to "
    "perform this operation. User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "
    "ec2:RunInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance/*"
)
PLUGIN_DOWNLOAD = (
    "error: could not load plugin for aws provider 'urn:pulumi:dev::p::pulumi:providers:aws::provider.aws':"
    ' failed to download plugin: aws-7.51.1: Get "https://get.pulumi.com/releases/plugins/'
    'pulumi-resource-aws-v7.51.1-linux-amd64.tar.gz": dial tcp: lookup get.pulumi.com: no such host'
)
EXPIRED = (
    "    error: pulumi:providers:aws resource 'provider.aws' has a problem: validating provider credentials:"
    " retrieving caller identity from STS: operation error STS: GetCallerIdentity, https response error "
    "StatusCode: 403, RequestID: 5b1e, api error ExpiredToken: The security token included in the "
    "request is expired"
)
SPOT_COUNT = (
    "  aws:ec2/instance:Instance (instance.trainer.0):\n"
    "    error: creating EC2 Instance: operation error EC2: RunInstances, https response error "
    "StatusCode: 400, RequestID: 1c2d, api error MaxSpotInstanceCountExceeded: Max spot instance count "
    "exceeded (g5.12xlarge)"
)
CANCELED = "error: update canceled"
UPDATE_FAILED = "error: update failed"
PROTECTED = (
    'error: unable to delete resource "{urn}"\nas it is currently marked for protection. To unprotect '
    "the resource, remove the `protect` flag from the resource in your Pulumi program and run `pulumi up` "
    "or use the command:\n`pulumi state unprotect '{urn}'`"
)
# what the CLI printed when a volume's snapshot does not exist (the stand-in's run, with AWS's own
# message): the error is in the progress lines twice, in the Diagnostics section, and the stack
# adds its generic errors
INVALID_SNAPSHOT = """\
 code: 255
 stdout: Updating (dev):
    pulumi:pulumi:Stack snapdemo-dev  warning: using pulumi-resource-aws from $PATH at /opt/pulumi-aws
 +  aws:ebs:Volume volume.data.w.0 creating (0s)
 +  aws:ebs:Volume volume.data.w.0 creating (0s) error: creating EBS Volume: operation error EC2: \
CreateVolume, https response error StatusCode: 400, RequestID: 5c1e, api error InvalidSnapshot.NotFound: \
The snapshot 'snap-0123456789abcdef0' does not exist.
 +  aws:ebs:Volume volume.data.w.0 **creating failed** error: creating EBS Volume: operation error EC2: \
CreateVolume, https response error StatusCode: 400, RequestID: 5c1e, api error InvalidSnapshot.NotFound: The \
snapshot 'snap-0123456789abcdef0' does not exist.
    pulumi:pulumi:Stack snapdemo-dev running error: update failed
    pulumi:pulumi:Stack snapdemo-dev **failed** 1 error; 1 warning
Diagnostics:
  pulumi:pulumi:Stack (snapdemo-dev):
    warning: using pulumi-resource-aws from $PATH at /opt/pulumi-aws
    error: update failed

  aws:ebs:Volume (volume.data.w.0):
    error: creating EBS Volume: operation error EC2: CreateVolume, https response error StatusCode: 400, \
RequestID: 5c1e, api error InvalidSnapshot.NotFound: The snapshot 'snap-0123456789abcdef0' does not exist.

Resources:
    8 unchanged
    1 errored

Duration: 4s

 stderr: error: update failed
"""
