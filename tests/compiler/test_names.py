from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from runctl_iac.compiler import names

LOGICAL = st.from_regex(r"[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?", fullmatch=True)
ANY_TEXT = st.text(alphabet=string.ascii_letters + string.digits + "-_. /", min_size=1, max_size=80)


@given(LOGICAL, LOGICAL, st.from_regex(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", fullmatch=True))
def test_bucket_names_from_schema_valid_parts_are_valid(project: str, stack: str, bucket: str) -> None:
    name = names.bucket_name(project, stack, bucket, "0a1b2c3d")
    assert names.is_valid_bucket_name(name), name
    assert names.bucket_name(project, stack, bucket) == name.removesuffix("0a1b2c3d") + "<account>"


@given(ANY_TEXT, ANY_TEXT, ANY_TEXT)
def test_bucket_names_from_arbitrary_text_are_valid(project: str, stack: str, bucket: str) -> None:
    assert names.is_valid_bucket_name(names.bucket_name(project, stack, bucket, "ffffffff"))


@given(LOGICAL, LOGICAL, LOGICAL, LOGICAL)
def test_distinct_buckets_get_distinct_names(project: str, stack: str, a: str, b: str) -> None:
    if a != b:
        assert names.bucket_name(project, stack, a) != names.bucket_name(project, stack, b)


def test_short_names_are_readable_and_long_ones_truncated_with_a_hash() -> None:
    assert names.bucket_name("llama", "dev", "data") == "runctl-llama-dev-data-<account>"
    assert names.bucket_name("llama", "dev", "data", "0a1b2c3d") == "runctl-llama-dev-data-0a1b2c3d"
    long = names.bucket_name("p" * 40, "prod", "b" * 63, "0a1b2c3d")
    assert len(long) == 63
    assert long.startswith("runctl-pppp") and long.endswith("-0a1b2c3d")
    head = long.removesuffix("-0a1b2c3d")
    assert head[-9] == "-" and all(c in "0123456789abcdef" for c in head[-8:])
    other = names.bucket_name("p" * 40, "prod", "b" * 62 + "c", "0a1b2c3d")
    assert other != long  # same truncated head, different hash


def test_changed_characters_add_a_hash_and_forbidden_suffixes_are_avoided() -> None:
    assert names.bucket_name("My_Proj", "dev", "x") != names.bucket_name("my-proj", "dev", "x")
    assert not names.bucket_name("p", "dev", "s3alias").endswith("-s3alias")


def test_is_valid_bucket_name_rejects_the_s3_rule_breakers() -> None:
    for bad in (
        "ab",
        "a" * 64,
        "-abc",
        "abc-",
        "Abc",
        "a..b",
        "192.168.0.1",
        "xn--abc",
        "abc-s3alias",
        "a_b",
    ):
        assert not names.is_valid_bucket_name(bad), bad
    assert names.is_valid_bucket_name("runctl-a-b-c")


def test_parameter_paths_and_partitions() -> None:
    assert names.parameter_name("llama", "dev", "HF_TOKEN") == "/runctl/llama/dev/HF_TOKEN"
    assert names.partition("us-east-1") == "aws"
    assert names.partition("cn-north-1") == "aws-cn"
    assert names.bucket_arn("us-gov-west-1", "b-1") == "arn:aws-us-gov:s3:::b-1"


def test_account_suffix_is_stable_per_account_and_region_and_differs_across_accounts() -> None:
    a = names.account_suffix("111111111111", "us-east-1")
    assert a == names.account_suffix("111111111111", "us-east-1") and len(a) == 8
    assert a != names.account_suffix("222222222222", "us-east-1")
    assert a != names.account_suffix("111111111111", "eu-west-1")
    name = names.bucket_name("quickstart", "dev", "results")
    assert name == "runctl-quickstart-dev-results-<account>"
    assert names.resolve_account(name, a) == f"runctl-quickstart-dev-results-{a}"
    other = names.resolve_account(name, names.account_suffix("222222222222", "us-east-1"))
    assert other != names.resolve_account(name, a)  # two accounts never share the name
