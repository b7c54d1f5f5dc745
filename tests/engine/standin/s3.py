"""Stand-in handlers for the S3 types runctl creates, backed by moto's S3 API."""

from __future__ import annotations

from typing import Any, ClassVar

from tests.engine.standin.aws import Aws
from tests.engine.standin.base import (
    Handler,
    Props,
    Unsupported,
    camel,
    error_code,
    pascal,
    tag_list,
    tag_map,
    unless_gone,
    user_tags,
)
from tests.engine.standin.wire import reveal

GONE = {
    "NoSuchBucket",
    "404",
    "NoSuchEntity",
    "ParameterNotFound",
    "NoSuchPublicAccessBlockConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchLifecycleConfiguration",
}


def gone(err: Exception) -> bool:
    return error_code(err) in GONE


class Bucket(Handler, token="aws:s3/bucket:Bucket", name_key="bucket", taggable=True):
    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        i = reveal(inputs)
        s3 = aws.client("s3")
        kw: dict[str, Any] = {"Bucket": i["bucket"]}
        if aws.region != "us-east-1":
            kw["CreateBucketConfiguration"] = {"LocationConstraint": aws.region}
        s3.create_bucket(**kw)
        if i.get("tagsAll"):
            s3.put_bucket_tagging(Bucket=i["bucket"], Tagging={"TagSet": tag_list(i["tagsAll"])})
        return i["bucket"], self._outputs(aws, i["bucket"])

    def _outputs(self, aws: Aws, bucket: str) -> Props:
        return {
            "bucket": bucket,
            "arn": f"arn:aws:s3:::{bucket}",
            "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{bucket}.s3.{aws.region}.amazonaws.com",
            "region": aws.region,
        }

    def _tags(self, aws: Aws, bucket: str) -> dict[str, str]:
        try:
            return tag_map(aws.client("s3").get_bucket_tagging(Bucket=bucket)["TagSet"])
        except Exception as err:
            if error_code(err) == "NoSuchTagSet":
                return {}
            raise

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        try:
            aws.client("s3").head_bucket(Bucket=rid)
        except Exception as err:
            if gone(err):
                return None
            raise
        live = self._tags(aws, rid)
        return {**self._outputs(aws, rid), "tags": user_tags(aws, live), "tagsAll": live}

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        other = set(changed) - {"tags", "tagsAll", "forceDestroy"}
        if other:
            raise Unsupported(f"stand-in aws provider: cannot update {self.token} {sorted(other)} in place")
        if "tagsAll" in changed:
            tags = reveal(news).get("tagsAll") or {}
            if tags:
                aws.client("s3").put_bucket_tagging(Bucket=rid, Tagging={"TagSet": tag_list(tags)})
            else:
                aws.client("s3").delete_bucket_tagging(Bucket=rid)
        return self._outputs(aws, rid)

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        s3 = aws.client("s3")
        try:
            if reveal(olds).get("forceDestroy"):
                for page in s3.get_paginator("list_object_versions").paginate(Bucket=rid):
                    doomed = [
                        {"Key": v["Key"], "VersionId": v["VersionId"]}
                        for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
                    ]
                    if doomed:
                        s3.delete_objects(Bucket=rid, Delete={"Objects": doomed})
            s3.delete_bucket(Bucket=rid)
        except Exception as err:
            if not gone(err):
                raise


class _BucketConfig(Handler):
    """A per-bucket configuration: id = bucket name; put replaces it, delete removes it."""

    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        bucket = reveal(inputs)["bucket"]
        self.put(aws, bucket, reveal(inputs))
        return bucket, {}

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        self.put(aws, rid, reveal(news))
        return {}

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        try:
            return self.get(aws, rid)
        except Exception as err:
            if gone(err):
                return None
            raise

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        unless_gone(lambda: self.remove(aws, rid), GONE)

    def put(self, aws: Aws, bucket: str, i: Props) -> None:
        raise NotImplementedError

    def get(self, aws: Aws, bucket: str) -> Props | None:
        raise NotImplementedError

    def remove(self, aws: Aws, bucket: str) -> None:
        raise NotImplementedError


class BucketVersioning(_BucketConfig, token="aws:s3/bucketVersioning:BucketVersioning"):
    def put(self, aws: Aws, bucket: str, i: Props) -> None:
        aws.client("s3").put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration=pascal(i["versioningConfiguration"])
        )

    def get(self, aws: Aws, bucket: str) -> Props | None:
        status = aws.client("s3").get_bucket_versioning(Bucket=bucket).get("Status")
        return {"versioningConfiguration": {"status": status}} if status else None

    def remove(self, aws: Aws, bucket: str) -> None:
        # terraform-provider-aws: deleting the resource suspends versioning (it cannot be turned off)
        aws.client("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})


class BucketPublicAccessBlock(_BucketConfig, token="aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
    _KEYS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

    def put(self, aws: Aws, bucket: str, i: Props) -> None:
        conf = {k[:1].upper() + k[1:]: bool(i.get(k)) for k in self._KEYS}
        aws.client("s3").put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=conf)

    def get(self, aws: Aws, bucket: str) -> Props | None:
        conf = aws.client("s3").get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        return {k: conf[k[:1].upper() + k[1:]] for k in self._KEYS}

    def remove(self, aws: Aws, bucket: str) -> None:
        aws.client("s3").delete_public_access_block(Bucket=bucket)


class BucketEncryption(_BucketConfig):
    token: ClassVar[str] = (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )

    def put(self, aws: Aws, bucket: str, i: Props) -> None:
        aws.client("s3").put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": pascal(i["rules"])}
        )

    def get(self, aws: Aws, bucket: str) -> Props | None:
        conf = aws.client("s3").get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
        # moto adds `BucketKeyEnabled: false`; keep what the rule says, in the inputs' shape
        rules = [{k: v for k, v in rule.items() if v is not False} for rule in camel(conf["Rules"])]
        return {"rules": rules}

    def remove(self, aws: Aws, bucket: str) -> None:
        aws.client("s3").delete_bucket_encryption(Bucket=bucket)


class BucketLifecycle(
    _BucketConfig, token="aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
):
    def put(self, aws: Aws, bucket: str, i: Props) -> None:
        aws.client("s3").put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": pascal(i["rules"])}
        )

    def get(self, aws: Aws, bucket: str) -> Props | None:
        aws.client("s3").get_bucket_lifecycle_configuration(Bucket=bucket)
        return {}  # present; the rules' drift is not compared (moto normalises their shape)

    def remove(self, aws: Aws, bucket: str) -> None:
        aws.client("s3").delete_bucket_lifecycle(Bucket=bucket)


HANDLERS: tuple[type[Handler], ...] = (
    Bucket,
    BucketVersioning,
    BucketPublicAccessBlock,
    BucketEncryption,
    BucketLifecycle,
)
