#!/usr/bin/env bash
# shellcheck disable=SC2016  # rendered commands are single-quoted on purpose: they expand on the node
# runctl node script: runs one node of a training job, detached from the SSM agent.
#
#   bash node.sh start [RANK]      stage this script, start the supervisor detached, return (what SSM runs)
#   bash node.sh supervise [RANK]  preflight, mounts, code, env, setup, run, logs, checkpoints, status
#   bash node.sh preflight         only the preflight checks; exit 0 when they pass (safe to run by hand)
#   bash node.sh stop              SIGTERM the running supervisor of this stack: final sync, state `stopped`
#   bash node.sh watch [RANK]      the boot-time unit: after a reboot, watch idleness and spend (autostop)
#
# One script serves every node of a run: the node's rank is the argument after the command (a script
# printed with `--print-script --node N` defaults to N).
#
# Every value runctl writes into this script sits in the RENDERED VALUES block below, each one
# shell-quoted. Values known only at launch (run id, staging bucket, node IPs, volume ids, code
# location) are written there by `runctl launch`; in `runctl launch --print-script` they are read
# from the environment at run time instead (RUNCTL_RUN_ID, RUNCTL_BUCKET, RUNCTL_NODE_IPS,
# RUNCTL_CODE_URI, RUNCTL_VOLUME_ID_<i>).
#
# Test switches (environment variables, never set by runctl itself):
#   RUNCTL_ROOT               prefix for every local path (state dir, mount paths, checkpoint dir, /dev)
#   RUNCTL_TEST_NO_MOUNT=1    mkdir the mount paths instead of finding, formatting and mounting volumes
#   RUNCTL_TEST_NO_SYSTEMD=1  detach with `setsid nohup` even where systemd-run exists
#   RUNCTL_IMDS_URL           instance metadata endpoint (default http://169.254.169.254)
#   RUNCTL_TICK_SECONDS       supervisor loop interval (default 5)
#   RUNCTL_HEARTBEAT_SECONDS  status heartbeat and stop-request check interval (default 15)
#   RUNCTL_LOG_SECONDS        log upload interval (default 10)
#   RUNCTL_KILL_AFTER_SECONDS grace between SIGTERM and SIGKILL (default 30)
#   RUNCTL_MIN_FREE_MB        free disk space the preflight requires (default 5120)
#   RUNCTL_FRAMEWORK_VENV     framework virtualenv to activate when present (default /opt/pytorch)
#   RUNCTL_CLOCK_SCALE        the autostop and spend clock runs this many times faster (default 1)
#   RUNCTL_IDLE_HEARTBEAT_SECONDS  heartbeat interval once the job is over (default 60)
set -euo pipefail
umask 077

# @@RENDERED_VALUES@@

R="${RUNCTL_ROOT:-}"
RUNCTL_RESTART="${RUNCTL_RESTART:-0}"  # a relaunch of the same run by `runctl watch` (rendered when > 0)
VOLUME_IDS=("${ALL_VOLUME_IDS[@]:$((${RUNCTL_NODE_RANK:-0} * ${#MOUNT_PATHS[@]})):${#MOUNT_PATHS[@]}}")
CHECKPOINT_S3="${CHECKPOINT_S3_BASE:+${CHECKPOINT_S3_BASE}node-$RUNCTL_NODE_RANK/}"
STATE_DIR="$R/var/lib/runctl/$STATE_NAME"
RUN_DIR="$STATE_DIR/runs/$RUNCTL_RUN_ID"
STATUS_FILE="$RUN_DIR/status.json"
LOG_FILE="$RUN_DIR/log.txt"
NODE_KEY="${S3_RUNS}$RUNCTL_RUN_ID/${S3_NODE_DIR}$RUNCTL_NODE_RANK"
IMDS="${RUNCTL_IMDS_URL:-http://169.254.169.254}"
TICK="${RUNCTL_TICK_SECONDS:-5}"
HEARTBEAT="${RUNCTL_HEARTBEAT_SECONDS:-15}"
LOG_EVERY="${RUNCTL_LOG_SECONDS:-10}"
KILL_AFTER="${RUNCTL_KILL_AFTER_SECONDS:-30}"
MIN_FREE_MB="${RUNCTL_MIN_FREE_MB:-5120}"
VENV="${RUNCTL_FRAMEWORK_VENV:-/opt/pytorch}"
export AWS_DEFAULT_REGION="$REGION"

STATE=starting
EXIT_CODE=null
REASON=""
STARTED_AT=""
ENDED_AT=""
CKPT_SYNCED_AT=""
CKPT_BYTES=""

# builtins where bash has them (5.0+): the heartbeat runs every few seconds for days
now() { TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T' -1; }
epoch() { echo "${EPOCHSECONDS:-$(date +%s)}"; }
log() { printf '[runctl %s] %s\n' "$(now)" "$*" >>"$LOG_FILE"; }

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

json_or_null() { if [ -n "$1" ]; then json_str "$1"; else printf null; fi; }

write_status() {
  local tmp="$STATUS_FILE.tmp" ckpt=null
  spend_tick
  if [ -n "$CKPT_SYNCED_AT" ]; then
    ckpt="{\"synced_at\": $(json_str "$CKPT_SYNCED_AT"), \"bytes\": ${CKPT_BYTES:-0}}"
  fi
  {
    printf '{"version": 1, "run_id": %s, "rank": %s, "restart": %s, ' "$(json_str "$RUNCTL_RUN_ID")" \
      "$RUNCTL_NODE_RANK" "$RUNCTL_RESTART"
    printf '"state": %s, "exit_code": %s, "reason": %s, ' "$(json_str "$STATE")" "$EXIT_CODE" "$(json_or_null "$REASON")"
    printf '"started_at": %s, "ended_at": %s, ' "$(json_or_null "$STARTED_AT")" "$(json_or_null "$ENDED_AT")"
    printf '"heartbeat": %s, "checkpoint": %s, ' "$(json_str "$(now)")" "$ckpt"
    autostop_json
    printf '}\n'
  } >"$tmp"
  mv -f "$tmp" "$STATUS_FILE"
  s3_put "$STATUS_FILE" "$NODE_KEY/$S3_STATUS_NAME" || log "status upload failed"
}

upload_log() { s3_put "$LOG_FILE" "$NODE_KEY/$S3_LOG_NAME" || true; }

set_state() {
  STATE=$1
  log "state: $STATE${2:+ ($2)}"
  if [ -n "${2:-}" ]; then REASON=$2; fi
  write_status
}

finish() {
  # finish STATE EXIT_CODE REASON: the last transition; logs and status go to S3 once more
  EXIT_CODE=$2
  ENDED_AT=$(now)
  set_state "$1" "${3:-}"
  upload_log
  # what the boot-time unit needs to keep reporting this run after a reboot
  printf 'STATE=%q\nEXIT_CODE=%q\nREASON=%q\nSTARTED_AT=%q\nENDED_AT=%q\nCKPT_SYNCED_AT=%q\nCKPT_BYTES=%q\n' \
    "$STATE" "$EXIT_CODE" "$REASON" "$STARTED_AT" "$ENDED_AT" "$CKPT_SYNCED_AT" "$CKPT_BYTES" >"$RUN_DIR/final.env"
  rm -f "$STATE_DIR/supervisor.pid"  # the supervisor is done: nothing left to upload
}

fail() {
  finish failed null "$1"
  autostop_loop
  exit 1
}

# ---- 1. preflight ----

preflight() {
  local have free_kb
  case "$ACCEL_KIND" in
    nvidia)
      command -v nvidia-smi >/dev/null 2>&1 || { echo "nvidia-smi not found: no NVIDIA driver on this image"; return 1; }
      if ! have=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>&1); then
        echo "nvidia-smi failed, the driver does not answer: $(printf '%s' "$have" | head -n 1)"
        return 1
      fi
      have=$(printf '%s\n' "$have" | grep -c . || true)
      if [ "$have" -ne "$ACCEL_COUNT" ]; then
        echo "nvidia-smi sees $have GPU(s), $INSTANCE_TYPE has $ACCEL_COUNT ($ACCEL_MODEL)"
        return 1
      fi
      ;;
    neuron)
      have=$(find "$R/dev" -maxdepth 1 -name 'neuron*' 2>/dev/null | wc -l)
      if [ "$have" -lt "$ACCEL_COUNT" ]; then
        echo "$have Neuron device(s) found, $INSTANCE_TYPE has $ACCEL_COUNT ($ACCEL_MODEL)"
        return 1
      fi
      ;;
  esac
  mkdir -p "$STATE_DIR"
  free_kb=$(df -Pk "$STATE_DIR" | awk 'NR == 2 {print $4}')
  if [ "$free_kb" -lt $((MIN_FREE_MB * 1024)) ]; then
    echo "only $((free_kb / 1024)) MiB free on $STATE_DIR, at least $MIN_FREE_MB MiB needed"
    return 1
  fi
  return 0
}

# ---- 2. volumes ----

mount_volumes() {
  local i path vol dev serial n
  for i in "${!MOUNT_PATHS[@]}"; do
    path="$R${MOUNT_PATHS[$i]}"
    vol="${VOLUME_IDS[$i]}"
    if [ -n "${RUNCTL_TEST_NO_MOUNT:-}" ]; then
      mkdir -p "$path"
      continue
    fi
    serial=${vol//-/}
    dev=""
    for n in $(seq 1 60); do
      if [ $((n % 6)) -eq 0 ]; then write_status; fi  # a heartbeat while the volume attaches
      for dev in "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$serial" "${MOUNT_DEVICES[$i]}"; do
        [ -b "$dev" ] && break 2
      done
      dev=""
      sleep 5
    done
    [ -n "$dev" ] || fail "volume $vol for ${MOUNT_PATHS[$i]} did not appear (serial $serial)"
    dev=$(readlink -f "$dev")
    if ! blkid -p "$dev" >/dev/null 2>&1; then
      log "no filesystem on $vol ($dev): creating ext4"
      mkfs.ext4 -q -L "${serial:0:16}" "$dev" >>"$LOG_FILE" 2>&1 || fail "mkfs on $vol failed"
    fi
    mkdir -p "$path"
    if ! mountpoint -q "$path"; then
      mount "$dev" "$path" >>"$LOG_FILE" 2>&1 || fail "mounting $vol at ${MOUNT_PATHS[$i]} failed"
    fi
    local uuid
    uuid=$(blkid -s UUID -o value "$dev")
    grep -q "UUID=$uuid " /etc/fstab || printf 'UUID=%s %s auto defaults,nofail 0 2\n' "$uuid" "$path" >>/etc/fstab
  done
}

# ---- 3. code and environment ----

fetch_code() {
  mkdir -p "$RUN_DIR/code"
  case "$RUNCTL_CODE_URI" in
    "") ;;
    *.tar.gz) aws s3 cp --quiet "$RUNCTL_CODE_URI" "$RUN_DIR/code.tar.gz" && tar -xzf "$RUN_DIR/code.tar.gz" -C "$RUN_DIR/code" ;;
    *) aws s3 sync --quiet "$RUNCTL_CODE_URI" "$RUN_DIR/code" ;;
  esac
}

SECRET_VALUES=()
read_secrets() {
  local i
  for i in "${!SECRET_NAMES[@]}"; do
    if ! SECRET_VALUES[i]=$(aws ssm get-parameter --with-decryption --name "${SECRET_PARAMETERS[$i]}" \
      --query Parameter.Value --output text 2>/dev/null); then
      fail "secret ${SECRET_NAMES[$i]} could not be read from SSM parameter ${SECRET_PARAMETERS[$i]}"
    fi
  done
}

job_env() {
  # exported only in the job's own subshell: secrets never reach the supervisor's environment
  local i
  for i in "${!ENV_NAMES[@]}"; do export "${ENV_NAMES[$i]}=${ENV_VALUES[$i]}"; done
  for i in "${!SECRET_NAMES[@]}"; do export "${SECRET_NAMES[$i]}=${SECRET_VALUES[$i]}"; done
  export RUNCTL_NUM_NODES RUNCTL_NODE_RANK RUNCTL_RUN_ID RUNCTL_NODE_IPS RUNCTL_RESTART
  RUNCTL_MASTER_ADDR=${RUNCTL_NODE_IPS%%,*}
  export RUNCTL_MASTER_ADDR
  if [ -n "$CHECKPOINT_DIR" ]; then export RUNCTL_CHECKPOINT_DIR="$R$CHECKPOINT_DIR"; fi
  if [ -f "$VENV/bin/activate" ]; then
    set +u  # activate scripts may read unset variables
    # shellcheck disable=SC1091
    . "$VENV/bin/activate"
    set -u
  fi
  umask 022  # files the job writes (checkpoints, pip installs) get the usual permissions
  cd "$RUN_DIR/code"
}

# ---- 6. checkpoints ----

sync_checkpoints() {
  [ -n "$CHECKPOINT_DIR" ] || return 0
  local dir="$R$CHECKPOINT_DIR"
  mkdir -p "$dir"
  if aws s3 sync --quiet "$dir" "$CHECKPOINT_S3"; then
    CKPT_SYNCED_AT=$(now)
    CKPT_BYTES=$(du -sb "$dir" | cut -f1)
    log "checkpoint sync: $CKPT_BYTES bytes"
  else
    log "checkpoint sync failed"
  fi
}

restore_checkpoints() {
  [ -n "$CHECKPOINT_DIR" ] || return 0
  local dir="$R$CHECKPOINT_DIR"
  mkdir -p "$dir"
  if [ -z "$(ls -A "$dir")" ]; then
    log "restoring checkpoints from $CHECKPOINT_S3"
    aws s3 sync --quiet "$CHECKPOINT_S3" "$dir" || log "checkpoint restore failed"
  fi
}

# ---- 7. spot notice and stop requests ----

IMDS_TOKEN=""
IMDS_TOKEN_AT=0
imds_token() {
  # an IMDSv2 token (valid 300 s), fetched again after 240 s
  local t
  t=$(epoch)
  if [ -z "$IMDS_TOKEN" ] || [ $((t - IMDS_TOKEN_AT)) -ge 240 ]; then
    IMDS_TOKEN=$(curl -sf -m 2 -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300") || {
      IMDS_TOKEN=""
      return 1
    }
    IMDS_TOKEN_AT=$t
  fi
}

spot_notice() {
  imds_token || return 1
  curl -sf -m 2 -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" "$IMDS/latest/meta-data/spot/instance-action" >/dev/null
}

stop_requested() { s3_exists "$NODE_KEY/$S3_STOP_NAME"; }

# ---- 4, 5, 8. setup, run, logs, status ----

JOB_PID=""
STOP_REASON=""
on_term() { STOP_REASON="stopped: SIGTERM to the supervisor"; }

run_step() {
  # run_step FILE [TIMEOUT]: the job in its own session, environment in a subshell, output to the log
  local file=$1 limit=${2:-0}
  (
    job_env
    if [ "$limit" -gt 0 ]; then
      exec setsid timeout --kill-after="$KILL_AFTER" "$limit" bash "$file"
    fi
    exec setsid bash "$file"
  ) >>"$LOG_FILE" 2>&1 </dev/null &
  JOB_PID=$!
}

stop_job() {
  log "$1: SIGTERM to the job"
  kill -TERM -- "-$JOB_PID" 2>/dev/null || kill -TERM "$JOB_PID" 2>/dev/null || true
  local waited=0
  while kill -0 "$JOB_PID" 2>/dev/null && [ "$waited" -lt "$KILL_AFTER" ]; do sleep 1; waited=$((waited + 1)); done
  kill -KILL -- "-$JOB_PID" 2>/dev/null || true
}

watch_job() {
  # watch_job LIMIT_SECONDS: wait for the job with heartbeats, log uploads, checkpoint syncs, notices
  local limit=$1 start last_beat last_log last_ckpt t
  start=$(epoch); last_beat=$start; last_log=$start; last_ckpt=$start
  while kill -0 "$JOB_PID" 2>/dev/null; do
    sleep "$TICK" &
    wait $! || true
    t=$(epoch)
    if [ -z "$STOP_REASON" ] && spot_notice; then STOP_REASON="interrupted: spot interruption notice"; fi
    if [ -z "$STOP_REASON" ] && [ $((t - last_beat)) -ge "$HEARTBEAT" ]; then
      last_beat=$t
      if stop_requested; then STOP_REASON="stopped: runctl stop-job"; fi
      sample_idle 1
      write_status
      if [ -z "$STOP_REASON" ]; then budget_check || true; fi
    fi
    if [ -n "$STOP_REASON" ]; then stop_job "$STOP_REASON"; break; fi
    if [ "$limit" -gt 0 ] && [ $((t - start)) -ge "$limit" ]; then
      STOP_REASON="timed-out: max_runtime ${limit}s reached"
      stop_job "$STOP_REASON"
      break
    fi
    if [ $((t - last_log)) -ge "$LOG_EVERY" ]; then last_log=$t; upload_log; fi
    if [ -n "$CHECKPOINT_EVERY" ] && [ $((t - last_ckpt)) -ge "$CHECKPOINT_EVERY" ]; then
      last_ckpt=$t
      sync_checkpoints
      write_status
    fi
  done
  local rc=0
  wait "$JOB_PID" || rc=$?
  return "$rc"
}

need_rank() {
  case "$RUNCTL_NODE_RANK" in
    '' | *[!0-9]*) echo "runctl: the node rank (0..$((RUNCTL_NUM_NODES - 1))) is the argument after the command" >&2; exit 2 ;;
  esac
  if [ "$RUNCTL_NODE_RANK" -ge "$RUNCTL_NUM_NODES" ]; then
    echo "runctl: node $RUNCTL_NODE_RANK does not exist: the group has $RUNCTL_NUM_NODES node(s)" >&2
    exit 2
  fi
}

supervise() {
  need_rank
  mkdir -p "$RUN_DIR"
  : >>"$LOG_FILE"
  trap on_term TERM
  echo "$$" >"$STATE_DIR/supervisor.pid"
  STARTED_AT=$(now)
  spot_rate
  set_state starting
  if [ "$RUNCTL_RESTART" -gt 0 ]; then log "restart $RUNCTL_RESTART of run $RUNCTL_RUN_ID: restoring the checkpoint"; fi
  local why rc
  if ! why=$(preflight); then fail "preflight: $why"; fi
  log "preflight passed ($INSTANCE_TYPE)"
  mount_volumes
  fetch_code || fail "code could not be fetched from $RUNCTL_CODE_URI"
  read_secrets
  restore_checkpoints
  printf '%s\n' "$SETUP_TEXT" >"$RUN_DIR/setup.sh"
  printf '%s\n' "$RUN_TEXT" >"$RUN_DIR/run.sh"
  if [ -n "$SETUP_TEXT" ] && [ ! -e "$STATE_DIR/setup-$SETUP_HASH.done" ]; then
    set_state setup
    run_step "$RUN_DIR/setup.sh"
    rc=0
    watch_job 0 || rc=$?
    if [ -n "$STOP_REASON" ]; then
      finish "${STOP_REASON%%:*}" "$rc" "$STOP_REASON"
      after_job
    fi
    [ "$rc" -eq 0 ] || { finish failed "$rc" "setup exited with $rc"; after_job; }
    touch "$STATE_DIR/setup-$SETUP_HASH.done"
  fi
  set_state running
  run_step "$RUN_DIR/run.sh" "$MAX_RUNTIME"
  rc=0
  watch_job "$MAX_RUNTIME" || rc=$?
  sync_checkpoints
  if [ -n "$STOP_REASON" ]; then
    finish "${STOP_REASON%%:*}" "$rc" "$STOP_REASON"
  elif [ "$MAX_RUNTIME" -gt 0 ] && [ "$rc" -eq 124 ]; then
    finish timed-out "$rc" "max_runtime ${MAX_RUNTIME}s reached"
  elif [ "$rc" -eq 0 ]; then
    finish succeeded 0
  else
    finish failed "$rc" "run exited with $rc"
  fi
  after_job
}

after_job() {
  # a SIGTERM (runctl stop-job, a new launch) ends the supervisor; otherwise autostop watches on
  if [ "$STOP_REASON" != "stopped: SIGTERM to the supervisor" ]; then autostop_loop; fi
  exit 0
}

stop_previous() {
  local pid
  # a watcher of an earlier run (autostop) ends first: a new run is not idle
  pid=$(cat "$STATE_DIR/watcher.pid" 2>/dev/null) && kill -TERM "$pid" 2>/dev/null || true
  pid=$(cat "$STATE_DIR/supervisor.pid" 2>/dev/null) || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((KILL_AFTER + 30))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
  fi
  return 0
}

start() {
  need_rank
  mkdir -p "$RUN_DIR"
  stop_previous
  cp "$0" "$RUN_DIR/node.sh"
  install_boot_unit
  if [ -z "${RUNCTL_TEST_NO_SYSTEMD:-}" ] && command -v systemd-run >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemd-run --quiet --collect --unit "runctl-$RUNCTL_RUN_ID-$RUNCTL_NODE_RANK" \
      --property=KillMode=control-group bash "$RUN_DIR/node.sh" supervise "$RUNCTL_NODE_RANK"
  else
    setsid nohup bash "$RUN_DIR/node.sh" supervise "$RUNCTL_NODE_RANK" </dev/null >>"$RUN_DIR/supervisor.log" 2>&1 &
  fi
  echo "runctl: run $RUNCTL_RUN_ID started on node $RUNCTL_NODE_RANK"
}

# @@AUTOSTOP@@

# @@S3@@

# `runctl run --here` puts here.sh at the next line: the same supervisor, with local I/O
# @@LOCAL_OVERRIDES@@

case "${1:-}" in
  start) start ;;
  watch) watch ;;
  supervise) supervise ;;
  preflight)
    if why=$(preflight); then echo "preflight passed: $INSTANCE_TYPE"; else echo "preflight failed: $why"; exit 1; fi
    ;;
  stop) stop_previous ;;
  *) echo "usage: $0 start|supervise|preflight|stop|watch [RANK]" >&2; exit 2 ;;
esac
