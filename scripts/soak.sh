#!/usr/bin/env bash
# Soak test: a local cluster of one replay server, one learner, 8 actors and an evaluator trains for
# DURATION (e.g. 60m, 10m, 90s; default 60m) with the step budget and the target switched off. A third of
# the way in the replay server is killed (SIGKILL) and restarted; two thirds in, the learner is, and it
# resumes from its checkpoint. Every minute (SOAK_INTERVAL_S) the resident memory of every process goes
# into runs/<name>/soak-rss.csv; at the end the script prints each process's first and last figure and,
# if python3-matplotlib is installed, draws runs/<name>/soak-rss.png.
#
#   scripts/soak.sh [DURATION] [--section.key VALUE ...]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-60m}
[ $# -gt 0 ] && shift
case "$duration" in
  *m) seconds=$((${duration%m} * 60)) ;;
  *s) seconds=${duration%s} ;;
  *) seconds=$duration ;;
esac
interval=${SOAK_INTERVAL_S:-60}

bash scripts/install-deps.sh
TARGETS="replay_server learner actor" bash scripts/build.sh

name="soak-$(date +%Y%m%d-%H%M%S)"
run_dir="runs/$name"
bin=build/bin
common=(--config configs/pendulum.ini --run.name "$name" --learner.max_env_steps 1000000000
  --learner.stop_at_target false --learner.resume auto --learner.checkpoint_interval_s 30 "$@")
mkdir -p "$run_dir"

declare -A pid_of
stop_all() {
  trap - EXIT INT TERM
  for pid in "${pid_of[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM

start() {  # start NAME COMMAND...
  local name=$1
  shift
  "$@" >/dev/null 2>&1 &
  pid_of[$name]=$!
}

start replay_server "$bin/replay_server" "${common[@]}"
start learner "$bin/learner" "${common[@]}"
for i in $(seq 0 7); do start "actor-$i" "$bin/actor" "${common[@]}" --actor.id "$i" --actor.count 8; done
start evaluator "$bin/actor" "${common[@]}" --eval --actor.id 0

names=(replay_server learner $(for i in $(seq 0 7); do echo "actor-$i"; done) evaluator)
# A process that cannot start (a bad argument, a busy port) would otherwise go unnoticed for the whole soak.
sleep 5
for name in "${names[@]}"; do
  if ! kill -0 "${pid_of[$name]}" 2>/dev/null; then
    echo "soak: $name exited at start-up; the end of its log:" >&2
    tail -n 5 "$run_dir/${name/evaluator/evaluator-0}.log" >&2 || true
    exit 1
  fi
done
csv="$run_dir/soak-rss.csv"
(IFS=,; echo "seconds,${names[*]}") > "$csv"
sample() {
  local row=$1
  for name in "${names[@]}"; do
    row+=",$(awk '/^VmRSS:/ {print $2 / 1024}' "/proc/${pid_of[$name]}/status" 2>/dev/null || echo)"
  done
  echo "$row" >> "$csv"
}

start_time=$SECONDS
replay_restarted=0
learner_restarted=0
echo "soak: $run_dir, $seconds s, memory every $interval s into $csv" >&2
while (( SECONDS - start_time < seconds )); do
  elapsed=$((SECONDS - start_time))
  sample "$elapsed"
  if (( !replay_restarted && elapsed >= seconds / 3 )); then
    echo "soak: SIGKILL and restart of the replay server at $elapsed s" >&2
    kill -KILL "${pid_of[replay_server]}"; wait "${pid_of[replay_server]}" 2>/dev/null || true
    start replay_server "$bin/replay_server" "${common[@]}"
    replay_restarted=1
  fi
  if (( !learner_restarted && elapsed >= 2 * seconds / 3 )); then
    echo "soak: SIGKILL and restart of the learner at $elapsed s" >&2
    kill -KILL "${pid_of[learner]}"; wait "${pid_of[learner]}" 2>/dev/null || true
    start learner "$bin/learner" "${common[@]}"
    learner_restarted=1
  fi
  sleep "$interval"
done
sample "$((SECONDS - start_time))"

for name in "${names[@]}"; do
  kill -0 "${pid_of[$name]}" 2>/dev/null || echo "soak: $name is not running at the end" >&2
done
/usr/bin/python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(f"{'process':>14} {'first MB':>9} {'last MB':>9}")
for name in rows[0]:
    if name == "seconds":
        continue
    values = [float(r[name]) for r in rows if r[name]]
    if values:
        print(f"{name:>14} {values[0]:9.1f} {values[-1]:9.1f}")
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("soak: python3-matplotlib is not installed; no PNG")
    sys.exit(0)
figure, axes = plt.subplots(figsize=(9, 5))
seconds = [float(r["seconds"]) / 60 for r in rows]
for name in rows[0]:
    if name != "seconds":
        axes.plot(seconds, [float(r[name]) if r[name] else float("nan") for r in rows], label=name)
axes.set_xlabel("minutes")
axes.set_ylabel("resident memory (MB)")
axes.legend(fontsize="small", ncol=2)
png = sys.argv[1].replace(".csv", ".png")
figure.savefig(png, dpi=100)
print(f"soak: {png}")
PY
grep -E "eval:|stopped" "$run_dir/learner.log" | tail -2 || true
