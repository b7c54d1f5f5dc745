# ---- runctl run --here: this machine instead of a node ----
# The supervisor above runs unchanged (preflight, setup once, run, max_runtime, stop, status.json);
# only its input and output move from S3, SSM, IMDS and EBS to this machine:
#   status.json and log.txt   stay in HERE_RUN_DIR/node-<rank>/ (no upload: runctl reads them there)
#   stop requests             a file `stop` beside them (`runctl stop-job --here` writes it)
#   secrets                   the supervisor's environment (runctl read them from its own or a prompt)
#   code                      the spec's local code folder, used in place (no copy)
#   volumes                   not mounted: the job sees this machine's file system
#   checkpoints               HERE_CHECKPOINT_DIR/node-<rank>/, kept between runs; synced to the
#                             spec's bucket only when CHECKPOINT_S3_BASE is set (--checkpoints s3)
R=""
STATE_DIR=$HERE_STATE_DIR
RUN_DIR=$HERE_RUN_DIR/node-$RUNCTL_NODE_RANK
STATUS_FILE=$RUN_DIR/status.json
LOG_FILE=$RUN_DIR/log.txt
SPEND_FILE=$RUN_DIR/spend  # autostop.sh set it from the node's RUN_DIR
mkdir -p "$STATE_DIR" "$RUN_DIR"
ACCEL_KIND=none  # runctl checked this machine's GPUs before it started the supervisors
TICK="${RUNCTL_TICK_SECONDS:-1}"
HEARTBEAT="${RUNCTL_HEARTBEAT_SECONDS:-2}"
VENV=$HERE_VENV
if [ -n "$CHECKPOINT_DIR" ]; then CHECKPOINT_DIR=$HERE_CHECKPOINT_DIR/node-$RUNCTL_NODE_RANK; fi

upload_log() { :; }

# the heartbeat's S3 objects are the local files themselves (status.json and log.txt above)
s3_put() { :; }
s3_get() { return 1; }
s3_exists() { return 1; }

# autostop and the runtime budget stop cloud nodes: this machine is never shut down, and no boot
# unit is installed on it
AUTOSTOP_IDLE=0
MAX_RUN_MICRO=0
install_boot_unit() { :; }
shutdown() { log "shutdown not run: runctl run --here never stops this machine"; }
spot_notice() { return 1; }
stop_requested() { [ -e "$RUN_DIR/stop" ]; }

mount_volumes() {
  local path
  for path in "${MOUNT_PATHS[@]}"; do log "volume for $path not mounted: the job runs on this machine's disks"; done
}

fetch_code() {
  # the code folder itself, so edits show in the next run; no code: an empty folder, as on a node
  mkdir -p "$RUN_DIR"
  if [ -n "$HERE_CODE_DIR" ]; then ln -sfn "$HERE_CODE_DIR" "$RUN_DIR/code"; else mkdir -p "$RUN_DIR/code"; fi
}

read_secrets() {
  local i name
  for i in "${!SECRET_NAMES[@]}"; do
    name=${SECRET_NAMES[$i]}
    [ -n "${!name:-}" ] || fail "secret $name is not set in the environment of runctl run --here"
    SECRET_VALUES[i]=${!name}
  done
}

if [ -z "$CHECKPOINT_S3" ]; then
  sync_checkpoints() {
    [ -n "$CHECKPOINT_DIR" ] || return 0
    mkdir -p "$CHECKPOINT_DIR"
    CKPT_SYNCED_AT=$(now)
    CKPT_BYTES=$(du -sb "$CHECKPOINT_DIR" | cut -f1)
  }
  restore_checkpoints() { [ -z "$CHECKPOINT_DIR" ] || mkdir -p "$CHECKPOINT_DIR"; }
fi
