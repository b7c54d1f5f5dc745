# ---- a RunPod pod instead of an EC2 node (script.render_script puts this at the overrides marker) ----
# The supervisor above runs unchanged (preflight, setup once, run, max_runtime, stop requests,
# status.json and log.txt in the staging bucket, checkpoints in S3, the job's spend). What an EC2 node
# has and a pod lacks is switched off:
#   instance metadata (IMDS)  none: no spot notice or spot price (the spend uses runctl's RunPod price)
#   AWS credentials           the pod's environment (its AWS access key, a Pulumi secret at apply)
#   volumes                   RunPod mounted the pod's network volume or pod volume before the start
#   systemd boot unit         none in a container: the pod's bootstrap starts an unfinished run again
#   shutdown                  a pod holds no RunPod API key, so it cannot stop itself: idle autostop is
#                             off, and the runtime budget ends the job only (runctl destroy or gc end
#                             the pod)
spot_notice() { return 1; }
spot_rate() { :; }
install_boot_unit() { :; }
mount_volumes() { :; }
AUTOSTOP_IDLE=0
shutdown() { log "shutdown not run: a RunPod pod cannot stop itself (runctl destroy or gc removes it)"; }
