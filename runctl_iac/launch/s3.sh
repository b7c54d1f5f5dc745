# ---- 10. lean S3 for the heartbeat (inserted into node.sh by the renderer) ----
#
# The AWS CLI costs a few hundred milliseconds of CPU per call, far too much to run every few seconds
# for a whole run; the heartbeat's small objects (status, decision, log, stop request) go through
# curl with SigV4 (curl >= 7.75) instead: a few milliseconds each. Credentials are the environment's
# or the instance role's from IMDS, handed to curl on stdin (never on a command line that `ps`
# shows). The first call that fails through curl for another reason than a missing object switches
# this node back to the AWS CLI for good, so a curl that cannot sign for S3 costs CPU, never data.

S3_CURL=""  # "": not tried yet, 1: curl works, 0: the AWS CLI from now on
AK="" SK="" ST="" CREDS_AT=0

creds() {
  if [ -n "${AWS_ACCESS_KEY_ID:-}" ]; then
    AK=$AWS_ACCESS_KEY_ID SK=${AWS_SECRET_ACCESS_KEY:-} ST=${AWS_SESSION_TOKEN:-}
    return 0
  fi
  local t role doc
  t=$(epoch)
  if [ -n "$AK" ] && [ $((t - CREDS_AT)) -lt 1800 ]; then return 0; fi  # role credentials last >= 1 h
  imds_token || return 1
  role=$(curl -sf -m 2 -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" "$IMDS/latest/meta-data/iam/security-credentials/") || return 1
  doc=$(curl -sf -m 2 -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" "$IMDS/latest/meta-data/iam/security-credentials/$role") || return 1
  AK=$(printf '%s\n' "$doc" | sed -n 's/.*"AccessKeyId" *: *"\([^"]*\)".*/\1/p')
  SK=$(printf '%s\n' "$doc" | sed -n 's/.*"SecretAccessKey" *: *"\([^"]*\)".*/\1/p')
  ST=$(printf '%s\n' "$doc" | sed -n 's/.*"Token" *: *"\([^"]*\)".*/\1/p')
  CREDS_AT=$t
  [ -n "$AK" ] && [ -n "$SK" ]
}

s3_curl() {
  # s3_curl KEY CURL-ARGS...: prints the HTTP status code; the body goes where the arguments say
  local key=$1 url
  shift
  if [ -n "${AWS_ENDPOINT_URL:-}" ]; then url="${AWS_ENDPOINT_URL%/}/$RUNCTL_BUCKET/$key"; else url="https://$RUNCTL_BUCKET.s3.$REGION.amazonaws.com/$key"; fi
  {
    printf 'user = "%s:%s"\n' "$AK" "$SK"
    if [ -n "$ST" ]; then printf 'header = "x-amz-security-token: %s"\n' "$ST"; fi
  } | curl -s -m 20 -K - --aws-sigv4 "aws:amz:$REGION:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    -w '%{http_code}' "$@" "$url" 2>/dev/null || true
}

s3_try() {
  # s3_try: 0 when curl is to be tried (not switched off, credentials at hand)
  [ "$S3_CURL" != 0 ] && creds
}

s3_failed() {
  # s3_failed CODE: the first failure before any success switches to the AWS CLI
  if [ "$S3_CURL" = "" ]; then
    S3_CURL=0
    log "S3 through curl answered ${1:-nothing}: the AWS CLI carries the heartbeat from now on"
  fi
}

s3_put() {  # s3_put FILE KEY
  local code
  if s3_try; then
    code=$(s3_curl "$2" -o /dev/null -T "$1")
    if [ "$code" = 200 ]; then S3_CURL=1; return 0; fi
    s3_failed "$code"
  fi
  aws s3 cp --quiet "$1" "s3://$RUNCTL_BUCKET/$2"
}

s3_get() {  # s3_get KEY: the object on stdout; 1 when it does not exist
  local code out="$RUN_DIR/.s3-get"
  if s3_try; then
    code=$(s3_curl "$1" -o "$out")
    case "$code" in
      200) S3_CURL=1; cat "$out"; rm -f "$out"; return 0 ;;
      404) S3_CURL=1; rm -f "$out"; return 1 ;;
    esac
    rm -f "$out"
    s3_failed "$code"
  fi
  aws s3 cp --quiet "s3://$RUNCTL_BUCKET/$1" - 2>/dev/null
}

s3_exists() {  # s3_exists KEY
  local code
  if s3_try; then
    code=$(s3_curl "$1" -o /dev/null -I)
    case "$code" in
      200) S3_CURL=1; return 0 ;;
      404) S3_CURL=1; return 1 ;;
    esac
    s3_failed "$code"
  fi
  aws s3 ls "s3://$RUNCTL_BUCKET/$1" >/dev/null 2>&1
}
