#!/bin/sh
# The image's entrypoint: `sim` with the container's arguments. In a Kubernetes Indexed Job, which
# sets JOB_COMPLETION_INDEX (0..N-1) in every pod, and with SHARDS=N set in the manifest, it adds
# --shard k/N with k = index + 1: Kubernetes cannot add one to the index in `args` itself.
set -eu
cli="${ROUTESIM_HOME:-/app}/dist/cli/main.js"
if [ -n "${JOB_COMPLETION_INDEX:-}" ] && [ -n "${SHARDS:-}" ]; then
  exec node "$cli" "$@" --shard "$((JOB_COMPLETION_INDEX + 1))/${SHARDS}"
fi
exec node "$cli" "$@"
