# runctl's start command for a RunPod pod that runs training (compiler/runpod.py puts it in the pod's
# dockerStartCmd). RunPod has no SSM: this loop waits for a launch request in the staging bucket
# (staging.launch_request_key: run_id, restart, script_key, status_key), fetches that run's node
# script and starts it as rank 0, as the SSM command does on an EC2 node, then waits for the next
# request. After a pod restart the last request starts again unless its status is already final for
# that restart (the run resumes from its checkpoints). RunPod's own services (/start.sh: SSH,
# Jupyter) keep running beside it.
# The pod's environment: RUNCTL_BUCKET, RUNCTL_REGION, RUNCTL_LAUNCH_KEY, AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY; test switches: RUNCTL_ROOT, RUNCTL_POLL_SECONDS (default 10).
set -u
export AWS_DEFAULT_REGION="$RUNCTL_REGION"
dir="${RUNCTL_ROOT:-}/var/lib/runctl/pod"
mkdir -p "$dir"
if [ -x /start.sh ]; then /start.sh & fi
if ! command -v aws >/dev/null 2>&1; then
  echo "runctl: installing the AWS CLI"
  python3 -m pip install --quiet awscli || echo "runctl: the AWS CLI could not be installed"
fi
field() {  # field NAME FILE: a string or number value of runctl's one-line JSON
  sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",}]*\).*/\1/p" "$2"
}
get() { aws s3 cp --quiet "s3://$RUNCTL_BUCKET/$1" "$2" 2>/dev/null; }
started=""
while :; do
  if get "$RUNCTL_LAUNCH_KEY" "$dir/launch.json"; then
    request="$(field run_id "$dir/launch.json") $(field restart "$dir/launch.json")"
    if [ "$request" != "$started" ]; then
      rm -f "$dir/status.json"
      get "$(field status_key "$dir/launch.json")" "$dir/status.json" || true
      state=$(field state "$dir/status.json" 2>/dev/null)
      case "$state $(field restart "$dir/status.json" 2>/dev/null)" in
        "succeeded ${request#* }" | "failed ${request#* }" | "stopped ${request#* }" | "timed-out ${request#* }" | \
          "budget-exceeded ${request#* }")
          echo "runctl: run ${request% *} is over ($state)"
          started=$request ;;
        *)
          if get "$(field script_key "$dir/launch.json")" "$dir/node.sh"; then
            bash "$dir/node.sh" start 0 && started=$request
          else
            echo "runctl: the node script of run ${request% *} could not be fetched"
          fi ;;
      esac
    fi
  fi
  sleep "${RUNCTL_POLL_SECONDS:-10}"
done
