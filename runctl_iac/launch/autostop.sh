# ---- 9. autostop and the runtime budget (inserted into node.sh by the renderer) ----
#
# Every status write adds this node's spend ($/hour × time since the supervisor started, across
# reboots) and how long it has been idle (no job running and every GPU below GPU_THRESHOLD %).
# Rank 0 decides for the run: `idle` when every node has been idle for AUTOSTOP_IDLE seconds,
# `budget` when a job still runs and the nodes' spend adds up to MAX_RUN_MICRO; it writes the
# decision to the run's autostop.json in the staging bucket (runctl_iac/staging.py), and every node acts on it once:
# the job is stopped (final checkpoint sync, state `budget-exceeded`), the last status (`autostop`:
# why, when, $ spent) is uploaded, then `shutdown -h now` (the instance's shutdown behaviour is
# the action). Money is integer micro-dollars; the clock is milliseconds since the supervisor
# started, times RUNCTL_CLOCK_SCALE (tests run it fast; never set by runctl).

ms_now() {
  if [ -n "${EPOCHREALTIME:-}" ]; then
    local us=${EPOCHREALTIME/[.,]/}
    echo $((10#$us / 1000))
  else
    date +%s%3N
  fi
}

CLOCK_SCALE="${RUNCTL_CLOCK_SCALE:-1}"
IDLE_BEAT="${RUNCTL_IDLE_HEARTBEAT_SECONDS:-60}"
CLOCK_T0=$(ms_now)
WATCH_EPOCH=$(epoch)  # decisions written before this process started were for an earlier boot
SPEND_FILE="$RUN_DIR/spend"
DECISION_KEY="${S3_RUNS}$RUNCTL_RUN_ID/$S3_AUTOSTOP_NAME"
SPENT_X=0      # micro-dollars × milliseconds per hour (divide by 3600000 for micro-dollars)
LAST_MS=0
RATE_MICRO=$USD_HOUR_MICRO
PRICE_SOURCE=estimate
IDLE_SINCE_MS=""
AUTOSTOP_DOC=null
DECISION=""
GPU_WARNED=""

clock_ms() { echo $((($(ms_now) - CLOCK_T0) * CLOCK_SCALE)); }

micro_usd() {  # micro_usd MICRO: "12.345678"
  printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000))
}

spend_tick() {
  local t
  t=$(clock_ms)
  SPENT_X=$((SPENT_X + (t - LAST_MS) * RATE_MICRO))
  LAST_MS=$t
  if [ "$STATE_DIR" != "" ] && [ -d "$RUN_DIR" ]; then echo "$SPENT_X" >"$SPEND_FILE"; fi
}

spent_micro() { echo $((SPENT_X / 3600000)); }

spot_rate() {
  # the instance's current spot price, when IMDS says it is spot and the API answers; else the estimate
  [ "$SPOT" = 1 ] || return 0
  local zone price
  imds_token || return 0
  zone=$(curl -sf -m 2 -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" "$IMDS/latest/meta-data/placement/availability-zone") || return 0
  price=$(aws ec2 describe-spot-price-history --instance-types "$INSTANCE_TYPE" --availability-zone "$zone" \
    --product-descriptions Linux/UNIX --max-items 1 --query 'SpotPriceHistory[0].SpotPrice' --output text 2>/dev/null) || return 0
  price=${price%%$'\n'*}  # the first line: the CLI's paginator may add a line of its own
  case "$price" in
    '' | None | *[!0-9.]*) return 0 ;;
  esac
  RATE_MICRO=$(awk -v p="$price" 'BEGIN { printf "%d", p * 1000000 }')
  PRICE_SOURCE="spot price"
  log "spot price in $zone: \$$price/hour"
}

gpu_busy() {
  # 0 when some accelerator is at or above the threshold; unreadable counts as not busy (logged once)
  local util max=0
  case "$ACCEL_KIND" in
    nvidia)
      if ! util=$(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits 2>/dev/null); then
        [ -n "$GPU_WARNED" ] || log "autostop: nvidia-smi gave no utilisation: idle means no job running"
        GPU_WARNED=1
        return 1
      fi
      max=$(printf '%s\n' "$util" | awk '$1 + 0 > m { m = $1 + 0 } END { print m + 0 }')
      [ "$max" -ge "$GPU_THRESHOLD" ]
      ;;
    neuron)
      [ -n "$GPU_WARNED" ] || log "autostop: Neuron utilisation is not read: idle means no job running"
      GPU_WARNED=1
      return 1
      ;;
    *) return 1 ;;
  esac
}

idle_for_s() { if [ -n "$IDLE_SINCE_MS" ]; then echo $((($(clock_ms) - IDLE_SINCE_MS) / 1000)); else echo 0; fi; }

sample_idle() {
  # sample_idle RUNNING: 1 while a job runs; otherwise idle unless a GPU is busy
  if [ "$1" = 1 ] || gpu_busy; then
    IDLE_SINCE_MS=""
  elif [ -z "$IDLE_SINCE_MS" ]; then
    IDLE_SINCE_MS=$(clock_ms)
  fi
}

autostop_json() {
  # the node's part of status.json: spend, idleness, the autostop when it happened
  local idle=null
  if [ -n "$IDLE_SINCE_MS" ]; then idle=$(idle_for_s); fi
  printf '"spend": {"usd": "%s", "micro_usd": %s, "usd_per_hour": "%s", "source": "%s"}, ' \
    "$(micro_usd "$(spent_micro)")" "$(spent_micro)" "$(micro_usd "$RATE_MICRO")" "$PRICE_SOURCE"
  printf '"idle_for_s": %s, "autostop": %s' "$idle" "$AUTOSTOP_DOC"
}

field() {  # field NAME < status.json: the number after "NAME":
  sed -n "s/.*\"$1\": \\([0-9][0-9]*\\).*/\\1/p" | head -n 1
}

node_doc() {  # node_doc RANK: that node's status.json (this node's from disk, the others' from S3)
  if [ "$1" = "$RUNCTL_NODE_RANK" ]; then cat "$STATUS_FILE"; else s3_get "${S3_RUNS}$RUNCTL_RUN_ID/${S3_NODE_DIR}$1/$S3_STATUS_NAME"; fi
}

decide() {
  # rank 0 only: write the run's decision when every node is idle long enough, or a job still runs
  # past the budget
  [ "$RUNCTL_NODE_RANK" = 0 ] || return 0
  local r doc idle spent=0 all_idle=1 running=0 why=""
  for r in $(seq 0 $((RUNCTL_NUM_NODES - 1))); do
    doc=$(node_doc "$r") || doc=""
    idle=$(printf '%s' "$doc" | field idle_for_s)
    spent=$((spent + $(printf '%s' "$doc" | field micro_usd | grep . || echo 0)))
    if [ -z "$idle" ] || [ "$idle" -lt "$AUTOSTOP_IDLE" ]; then all_idle=0; fi
    case "$doc" in *'"state": "starting"'* | *'"state": "setup"'* | *'"state": "running"'*) running=1 ;; esac
  done
  if [ "$MAX_RUN_MICRO" -gt 0 ] && [ "$running" = 1 ] && [ "$spent" -ge "$MAX_RUN_MICRO" ]; then
    why="budget-exceeded: the run's spend \$$(micro_usd "$spent") reached budget.max_run_usd \$$(micro_usd "$MAX_RUN_MICRO")"
  elif [ "$AUTOSTOP_IDLE" -gt 0 ] && [ "$all_idle" = 1 ] && [ "$running" = 0 ]; then
    why="idle: no job and GPUs below $GPU_THRESHOLD% on every node for ${AUTOSTOP_IDLE}s"
  fi
  [ -n "$why" ] || return 0
  printf '{"action": "%s", "reason": %s, "decided_at": "%s", "epoch": %s}\n' \
    "$AUTOSTOP_ACTION" "$(json_str "$why")" "$(now)" "$(epoch)" >"$RUN_DIR/autostop.json"
  s3_put "$RUN_DIR/autostop.json" "$DECISION_KEY" || log "autostop decision upload failed"
  DECISION=$why  # rank 0 acts on its own decision without reading it back
}

read_decision() {
  # sets DECISION to the reason of a decision made since this process started
  local doc epoch
  if [ "$RUNCTL_NODE_RANK" = 0 ]; then [ -n "$DECISION" ]; return; fi
  doc=$(s3_get "$DECISION_KEY") || return 1
  epoch=$(printf '%s' "$doc" | field epoch)
  [ -n "$epoch" ] && [ "$epoch" -ge "$WATCH_EPOCH" ] || return 1
  DECISION=$(printf '%s' "$doc" | sed -n 's/.*"reason": "\([^"]*\)".*/\1/p')
  [ -n "$DECISION" ]
}

budget_check() {
  # in the job's heartbeat: 0 (and STOP_REASON set) when the run's budget is spent
  [ "$MAX_RUN_MICRO" -gt 0 ] || return 1
  decide
  read_decision || return 1
  case "$DECISION" in budget-exceeded:*) STOP_REASON=$DECISION ;; *) return 1 ;; esac
}

act() {
  # the last status goes to S3, then the node shuts itself down (once; the process ends here)
  spend_tick
  AUTOSTOP_DOC="{\"action\": $(json_str "$AUTOSTOP_ACTION"), \"reason\": $(json_str "$DECISION"), \"at\": $(json_str "$(now)"), \"spent_usd\": $(json_str "$(micro_usd "$(spent_micro)")")}"
  log "autostop: $DECISION; $AUTOSTOP_ACTION via shutdown -h"
  write_status
  upload_log
  rm -f "$STATE_DIR/watcher.pid"
  shutdown -h now
  exit 0
}

autostop_loop() {
  # after the job (or at boot): heartbeats with idleness and spend until the run's decision
  [ "$AUTOSTOP_IDLE" -gt 0 ] || [ "$MAX_RUN_MICRO" -gt 0 ] || return 0
  echo "$$" >"$STATE_DIR/watcher.pid"
  STOP_REASON=""
  while [ -z "$STOP_REASON" ]; do
    sample_idle 0
    write_status
    decide
    if read_decision; then act; fi
    sleep "$IDLE_BEAT" &
    wait $! || true
  done
  rm -f "$STATE_DIR/watcher.pid"
}

watch() {
  # the boot-time unit: the job is over (a reboot ended it), only idleness and spend are watched
  need_rank
  [ -f "$RUN_DIR/final.env" ] || exit 0
  # shellcheck disable=SC1091
  . "$RUN_DIR/final.env"
  trap on_term TERM
  if [ -f "$SPEND_FILE" ]; then SPENT_X=$(cat "$SPEND_FILE"); fi
  spot_rate
  log "watching for autostop after a boot"
  autostop_loop
}

install_boot_unit() {
  # a unit that runs `node.sh watch RANK` at every boot: an instance started again is watched again
  [ -z "${RUNCTL_TEST_NO_SYSTEMD:-}" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ] || return 0
  local unit="/etc/systemd/system/runctl-watch-$STATE_NAME.service"
  printf '%s\n' "[Unit]" "Description=runctl autostop watcher ($STATE_NAME)" \
    "After=network-online.target" "Wants=network-online.target" "" \
    "[Service]" "ExecStart=/bin/bash $RUN_DIR/node.sh watch $RUNCTL_NODE_RANK" "" \
    "[Install]" "WantedBy=multi-user.target" >"$unit"
  systemctl daemon-reload && systemctl enable --quiet "runctl-watch-$STATE_NAME.service" || true
}
