"""`runctl gc --dry-run` and `runctl resources` over 1,000 tagged resources on a moto server.

Seeds two regions with runctl-tagged instances, volumes, security groups, SSM parameters and
buckets, plus IAM roles and instance profiles (1,000 resources in all, none with a stack in
the backend, so every one is an orphan candidate), then times each command as a whole process
(start, listing through the Resource Groups Tagging API and the per-kind reads, planning,
rendering JSON). Target: median <= 5 s for each. (gc names the project: with an empty backend,
gc looks for orphans only in a project it is told about.)

Usage: python benchmarks/bench_teardown.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import verdict

TARGET_S = 5.0
REGIONS = ("us-east-1", "eu-west-1")
# per region: instances, volumes, security groups, parameters, buckets; global: roles, profiles
PER_REGION = {"instance": 100, "volume": 150, "security-group": 50, "parameter": 100, "bucket": 50}
ROLES = PROFILES = 50


def tags(stack: str) -> list[dict[str, str]]:
    return [
        {"Key": "runctl:managed-by", "Value": "runctl"},
        {"Key": "runctl:project", "Value": "bench"},
        {"Key": "runctl:stack", "Value": stack},
    ]


def seed() -> int:
    import boto3

    count = 0
    for region in REGIONS:
        ec2 = boto3.client("ec2", region_name=region)
        ssm = boto3.client("ssm", region_name=region)
        s3 = boto3.client("s3", region_name=region)
        ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=PER_REGION["instance"],
            MaxCount=PER_REGION["instance"],
            InstanceType="g5.xlarge",
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags("s0")}],
        )
        for n in range(PER_REGION["volume"]):
            spec = [{"ResourceType": "volume", "Tags": tags(f"s{n % 10}")}]
            ec2.create_volume(
                Size=100, VolumeType="gp3", AvailabilityZone=f"{region}a", TagSpecifications=spec
            )
        for n in range(PER_REGION["security-group"]):
            spec = [{"ResourceType": "security-group", "Tags": tags(f"s{n % 10}")}]
            ec2.create_security_group(GroupName=f"bench-{n}", Description="bench", TagSpecifications=spec)
        for n in range(PER_REGION["parameter"]):
            ssm.put_parameter(
                Name=f"/runctl/bench/s{n % 10}/P{n}", Value="x", Type="SecureString", Tags=tags("s0")
            )
        for n in range(PER_REGION["bucket"]):
            name = f"runctl-bench-{region}-{n}"
            config = (
                {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            )
            s3.create_bucket(Bucket=name, **config)
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags(f"s{n % 10}")})
        count += sum(PER_REGION.values())
    iam = boto3.client("iam", region_name=REGIONS[0])
    for n in range(ROLES):
        iam.create_role(RoleName=f"role.bench-{n}", AssumeRolePolicyDocument="{}", Tags=tags("s0"))
    for n in range(PROFILES):
        iam.create_instance_profile(InstanceProfileName=f"profile.bench-{n}", Tags=tags("s0"))
    return count + ROLES + PROFILES


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, dict]:  # type: ignore[type-arg]
    start = time.perf_counter()
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "runctl"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"runctl {' '.join(args)} failed: {proc.stderr}")
    return elapsed, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    from moto.server import ThreadedMotoServer

    logging.disable(logging.INFO)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": REGIONS[0],
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_COLOR": "1",
    }
    os.environ.update({k: env[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
    try:
        start = time.perf_counter()
        total = seed()
        seconds = time.perf_counter() - start
        print(f"seeded {total} tagged resources in {len(REGIONS)} regions + IAM ({seconds:.1f} s)")
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / ".runctl" / "state").mkdir(parents=True)
            regions = [a for r in REGIONS for a in ("--region", r)]
            commands = {
                "gc --dry-run": [
                    "gc",
                    "--dry-run",
                    "--project",
                    "bench",
                    "--min-age",
                    "0",
                    *regions,
                    "-o",
                    "json",
                ],
                "resources": ["resources", *regions, "-o", "json"],
            }
            for label, args in commands.items():
                times = []
                for _ in range(opts.runs):
                    elapsed, doc = timed(args, work, env)
                    times.append(elapsed)
                found = len(doc["delete"]) if "delete" in doc else len(doc["resources"])
                median = statistics.median(times)
                judged = verdict(median, TARGET_S)
                print(
                    f"runctl {label}: {found} resources listed, median {median:.2f} s over {opts.runs} runs"
                    f" (min {min(times):.2f} s; target <= {TARGET_S:.0f} s) {judged}"
                )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
