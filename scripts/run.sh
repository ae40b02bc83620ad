#!/usr/bin/env bash
# Installs what is missing, builds, and trains DDPG on a local cluster: one replay server, one learner,
# two actors and one evaluator. The learner's dashboard line is shown here; every process also logs to
# the run directory. Stops by itself when the evaluation return reaches the config's target or the step
# budget runs out; Ctrl-C stops everything cleanly.
#
#   scripts/run.sh [--config FILE] [--section.key VALUE ...]
#
# Options after the script name go to every process (e.g. --env.seed 3 or --learner.threads 2).
# ACTORS=N sets the number of training actors (default 2). METRICS_PORT=P serves every process's metrics to
# Prometheus (run.metrics_port): the replay server on port P, the learner on P+1, the evaluator on P+2 and
# actor i on P+3+i.
set -euo pipefail
cd "$(dirname "$0")/.."

config=configs/pendulum.ini
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --config=*) config=${1#--config=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
[ -f "$config" ] || { echo "run: config file '$config' not found (see configs/)" >&2; exit 2; }

bash scripts/install-deps.sh
TARGETS="replay_server learner actor" bash scripts/build.sh

actors=${ACTORS:-2}
# The run directory is run.root/run.name: a fresh name per run unless given; the root as the config or the
# command line sets it.
name="$(basename "$config" .ini)-$(date +%Y%m%d-%H%M%S)"
root=$(awk -F '[ \t]*=[ \t]*' '/^\[/ { section = $0 } section == "[run]" && $1 == "root" { print $2 }' "$config")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --run.name) name=${args[i + 1]:-$name} ;;
    --run.name=*) name=${args[i]#--run.name=} ;;
    --run.root) root=${args[i + 1]:-$root} ;;
    --run.root=*) root=${args[i]#--run.root=} ;;
  esac
done
run_dir="${root:-runs}/$name"
bin=build/bin
common=(--config "$config" --run.name "$name" "${args[@]}")
mkdir -p "$run_dir"

pids=()
stop_all() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
# The learning curves (scripts/plot.py), also of a run stopped with Ctrl-C; a run without them still succeeds.
plot() {
  local written
  if written=$(scripts/plot.py "$run_dir" 2>&1); then
    echo "run: plots:" $written >&2
  else
    echo "run: no plots: $written" >&2
  fi
}
trap stop_all EXIT
trap 'echo "run: stopping (Ctrl-C)" >&2; stop_all; plot; exit 130' INT TERM

serve_metrics() {  # serve_metrics OFFSET: sets `serve` to the options for port METRICS_PORT + OFFSET, if set
  serve=()
  if [ -n "${METRICS_PORT:-}" ]; then serve=(--run.metrics_port "$((METRICS_PORT + $1))"); fi
}

start() {  # start NAME COMMAND...: other processes log to the run directory only
  "$@" 2>/dev/null &
  pids+=($!)
}

echo "run: run directory $run_dir (config $config, $actors actors)" >&2
serve_metrics 0
start "$bin/replay_server" "${common[@]}" "${serve[@]}"
for ((i = 0; i < actors; i++)); do
  serve_metrics $((3 + i))
  start "$bin/actor" "${common[@]}" --actor.id "$i" --actor.count "$actors" "${serve[@]}"
done
serve_metrics 2
start "$bin/actor" "${common[@]}" --eval --actor.id 0 "${serve[@]}"
serve_metrics 1
"$bin/learner" "${common[@]}" "${serve[@]}" &
learner=$!
pids+=("$learner")

sleep 1
for pid in "${pids[@]}"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null && status=0 || status=$?
    echo "run: a process exited at start-up (status $status); see the logs in $run_dir:" >&2
    tail -n 3 "$run_dir"/*.log >&2 || true
    exit 1
  fi
done

status=0
wait "$learner" || status=$?
echo "run: learner finished (status $status); run directory $run_dir (learner.metrics.jsonl, logs, checkpoint.pt," \
  "best_policy.pt)" >&2
plot
exit "$status"
