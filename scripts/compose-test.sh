#!/usr/bin/env bash
# End-to-end test of the Docker deployment (Dockerfile, docker-compose.yml): builds the image, runs the
# cluster with Docker Compose and checks what a user relies on:
#   1. the image builds and the cluster starts with 3 actors;
#   2. the learner sees 3 connected actors, its step and the actors' policy version advance, env steps grow;
#   3. scaled to 5 actors, the learner sees 5;
#   4. an actor container killed with SIGKILL is brought back by its restart policy, the learner keeps
#      updating meanwhile, and the count of connected actors recovers to 5;
#   5. a stopped and restarted learner resumes from its checkpoint (its step does not restart from 0);
#   6. with the `monitoring` profile, Prometheus (asked through its HTTP API) scrapes the replay server,
#      the learner and the evaluator, sees the learner's update counter rise, and finds 3, then 5 healthy
#      actor targets as the actors scale;
#   7. everything it started is removed: containers, networks, volumes, and the Docker engine if it had
#      to start one. Images stay, so that the next run builds from the layer cache.
#
# Runs as root (re-runs itself with sudo): installs Debian's docker.io and docker-compose (and debootstrap)
# when missing, and starts dockerd when no engine answers. No registry is needed: when debian:bookworm-slim
# is not in the local image store, it is made with debootstrap from http://deb.debian.org/debian, slimmed
# the way Debian's official slim image is.
#
#   scripts/compose-test.sh          (also ctest's compose_cluster test)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "compose-test: needs root (or sudo) for apt-get and dockerd" >&2; exit 1; }
  exec sudo bash "$0" "$@"
fi

readonly project=ddpgcomposetest
readonly base_image=debian:bookworm-slim
readonly mirror=http://deb.debian.org/debian
readonly wait_s=${COMPOSE_TEST_WAIT_S:-180}  # the longest any single condition may take to become true
# Small networks and fast reports keep this quick on two cores; no stop at the target return, so that
# the learner is still training when the test looks at it.
export DDPG_ARGS="--network.hidden_sizes=64,64 --learner.batch_size=64 --replay.samples_per_insert=64
  --learner.stop_at_target=false --learner.max_env_steps=1000000000 --run.report_interval_s=1
  --run.heartbeat_timeout_ms=3000 --learner.checkpoint_interval_s=10"
export DDPG_CONFIG=configs/pendulum.ini
# Any free host ports: the test must not collide with a cluster that scripts/run.sh runs on this machine.
export DDPG_PUBLISH_IP=127.0.0.1 DDPG_REPLAY_PORT='' DDPG_WEIGHTS_PORT='' DDPG_REPORTS_PORT='' DDPG_PROMETHEUS_PORT=''

started_at=$(date +%s)
work=$(mktemp -d /tmp/ddpg-compose-test.XXXXXX)
dockerd_pid=""
compose=()

log() { echo "compose-test: [$(($(date +%s) - started_at))s] $*" >&2; }
fail() {
  log "FAIL: $*"
  exit 1
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ ${#compose[@]} -gt 0 ]; then
    if [ "$status" -ne 0 ]; then
      log "learner log (last 20 lines):"
      "${compose[@]}" logs --no-color --tail=20 learner >&2 2>/dev/null || true
    fi
    log "removing the project's containers, networks and volumes"
    "${compose[@]}" down --volumes --remove-orphans --timeout 20 >/dev/null 2>&1 || true
    if [ -n "$(docker ps -aq --filter "label=com.docker.compose.project=$project" 2>/dev/null)" ]; then
      log "FAIL: containers of project $project are left"
      status=1
    fi
  fi
  if [ -n "$dockerd_pid" ]; then
    log "stopping the Docker engine this test started (pid $dockerd_pid)"
    kill -TERM "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tools and engine --------------------------------------------------------------------------------
install_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

install_packages docker.io docker-compose
if ! docker info >/dev/null 2>&1; then
  log "no Docker engine answers; starting dockerd"
  dockerd >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -n 20 "$work/dockerd.log" >&2; fail "dockerd did not come up in 60 s"; }
fi
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose --project-name "$project" --profile monitoring)
else
  compose=(docker-compose --project-name "$project" --profile monitoring)
fi
log "engine $(docker version --format '{{.Server.Version}}'), $("${compose[@]}" version --short 2>/dev/null || true) (${compose[*]:0:2})"
"${compose[@]}" down --volumes --remove-orphans >/dev/null 2>&1 || true  # what a killed earlier run left

# ---- base image --------------------------------------------------------------------------------------
# A minbase debootstrap with the official slim image's dpkg path exclusions and apt settings.
make_base_image() {
  install_packages debootstrap
  local rootfs="$work/rootfs"
  log "making $base_image with debootstrap from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
  tee "$rootfs/etc/dpkg/dpkg.cfg.d/docker" >/dev/null <<'CFG'
# This is the "slim" variant of the Debian base image.
# Many files which are normally unnecessary in containers are excluded,
# and this configuration file keeps them that way.
path-exclude /usr/share/doc/*
# we need to keep copyright files for legal reasons
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
CFG
  tee "$rootfs/etc/apt/apt.conf.d/docker-clean" >/dev/null <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
  echo 'Acquire::Languages "none";' | tee "$rootfs/etc/apt/apt.conf.d/docker-no-languages" >/dev/null
  rm -f "$rootfs/etc/apt/sources.list"
  tee "$rootfs/etc/apt/sources.list.d/debian.sources" >/dev/null <<CFG
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror}-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
CFG
  # What the exclusions would have kept out, had they been in place during debootstrap.
  find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{groff,info,linda,lintian/overrides,locale,man}/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log
  tar -C "$rootfs" --numeric-owner -c . | docker import --change 'CMD ["bash"]' - "$base_image" >/dev/null
  rm -rf "$rootfs"
}

if docker image inspect "$base_image" >/dev/null 2>&1; then
  log "$base_image is in the local image store"
else
  make_base_image
fi

# ---- helpers -----------------------------------------------------------------------------------------
# The last value of a numeric field in a metrics file of the run directory, or nothing. Read through the
# replay server's container, which mounts the run volume and keeps running throughout.
metric() {  # metric FILE FIELD
  "${compose[@]}" exec -T replay_server sh -c "tail -n 1 runs/*/$1 2>/dev/null" 2>/dev/null |
    sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" | cut -d. -f1
}
learner_metric() { metric learner.metrics.jsonl "$1"; }

wait_for() {  # wait_for DESCRIPTION COMMAND...: until COMMAND succeeds, at most wait_s seconds
  local description=$1
  shift
  local deadline=$(($(date +%s) + wait_s))
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "timed out after ${wait_s} s waiting for: $description"
    sleep 2
  done
  log "ok: $description"
}

actors_connected() { [ "$(learner_metric connected_actors)" = "$1" ]; }
learner_step_above() { local step; step=$(learner_metric step); [ -n "$step" ] && [ "$step" -gt "$1" ]; }
env_steps_above() { local steps; steps=$(learner_metric env_steps); [ -n "$steps" ] && [ "$steps" -gt "$1" ]; }
policy_version_above() {
  local version
  version=$(metric actor-0.metrics.jsonl policy_version)
  [ -n "$version" ] && [ "$version" -gt "$1" ]
}
healthy() {  # healthy SERVICE: every container of the service passes its health check
  local containers
  containers=$("${compose[@]}" ps -q "$1" 2>/dev/null)
  [ -n "$containers" ] || return 1
  for container in $containers; do
    [ "$(docker inspect --format '{{.State.Health.Status}}' "$container")" = healthy ] || return 1
  done
}
# grep reads to the end (no -q): an early exit would fail the pipeline with SIGPIPE under pipefail.
log_has() { "${compose[@]}" logs --no-color "$1" 2>/dev/null | grep "$2" >/dev/null; }

# Prometheus' HTTP API, on the port its container publishes ($prometheus, set after `up`), read with
# Debian's python3 (the `python3` on PATH may be another one).
prometheus_updates() {  # the learner's update counter as Prometheus last scraped it, an integer, or nothing
  /usr/bin/python3 - "http://$prometheus/api/v1/query?query=ddpg_learner_updates_total" <<'PY' 2>/dev/null
import json, sys, urllib.request
result = json.load(urllib.request.urlopen(sys.argv[1], timeout=5))["data"]["result"]
print(int(float(result[0]["value"][1])))
PY
}
prometheus_updates_above() { local updates; updates=$(prometheus_updates); [ -n "$updates" ] && [ "$updates" -gt "$1" ]; }
targets_up() {  # targets_up JOB: how many targets of the scrape job are up (one per actor replica for `actor`)
  /usr/bin/python3 - "http://$prometheus/api/v1/targets?state=active" "$1" <<'PY' 2>/dev/null
import json, sys, urllib.request
targets = json.load(urllib.request.urlopen(sys.argv[1], timeout=5))["data"]["activeTargets"]
print(sum(t["labels"]["job"] == sys.argv[2] and t["health"] == "up" for t in targets))
PY
}
actor_targets_up() { [ "$(targets_up actor)" = "$1" ]; }
singles_scraped() { [ "$(targets_up replay_server)$(targets_up learner)$(targets_up evaluator)" = 111 ]; }

# ---- 1. build and start with 3 actors ----------------------------------------------------------------
build_started=$(date +%s)
# Every ddpg service runs the one image; building it once, for one service, keeps Compose v1 from sending
# the context again per service (and recompiling when a file of the checkout changed in between);
# --force-rm: a failed build leaves no intermediate container behind.
"${compose[@]}" build --force-rm replay_server prometheus >"$work/build.log" 2>&1 ||
  { tail -n 40 "$work/build.log" >&2; fail "the images did not build"; }
log "image built in $(($(date +%s) - build_started)) s: $(docker image inspect "${DDPG_IMAGE:-ddpg-cluster:latest}" \
  --format '{{.Size}}' | awk '{printf "%.0f MB", $1 / 1e6}')"
"${compose[@]}" up -d --scale actor=3 >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "compose up failed"; }

replay_port=$(docker port "$("${compose[@]}" ps -q replay_server 2>/dev/null)" 5550/tcp)
case $replay_port in
  127.0.0.1:*) log "ok: the replay server's port is published on $replay_port only" ;;
  *) fail "the replay server's port is published on '$replay_port', not on 127.0.0.1" ;;
esac
prometheus=$(docker port "$("${compose[@]}" ps -q prometheus 2>/dev/null)" 9090/tcp)

# ---- 2. three actors, advancing weights and environment steps -----------------------------------------
wait_for "the learner is training" learner_step_above 0
wait_for "the learner sees 3 connected actors" actors_connected 3
step=$(learner_metric step)
env_steps=$(learner_metric env_steps)
wait_for "actor 0 received weights" policy_version_above 0
version=$(metric actor-0.metrics.jsonl policy_version)
wait_for "the learner's step advances past $step" learner_step_above "$((step + 200))"
wait_for "environment steps grow past $env_steps" env_steps_above "$((env_steps + 1000))"
wait_for "actor 0's policy version advances past $version" policy_version_above "$version"
for id in 0 1 2; do
  "${compose[@]}" exec -T replay_server test -s "runs/pendulum/actor-$id.metrics.jsonl" ||
    fail "no metrics of actor $id: the replicas did not get the ids 0, 1, 2"
done
log "ok: the 3 replicas got actor ids 0, 1 and 2"
for service in replay_server learner actor evaluator; do
  wait_for "the $service containers report healthy" healthy "$service"
done
wait_for "Prometheus (http://$prometheus) scrapes the replay server, the learner and the evaluator" singles_scraped
wait_for "Prometheus finds 3 healthy actor targets" actor_targets_up 3
wait_for "Prometheus has scraped the learner's update counter" prometheus_updates_above 0
updates=$(prometheus_updates)
wait_for "the learner's update counter in Prometheus rises past $updates" prometheus_updates_above "$updates"
log "Prometheus: ddpg_learner_updates_total $updates, then $(prometheus_updates); actor targets up: $(targets_up actor)"

# ---- 3. scale to 5 -----------------------------------------------------------------------------------
"${compose[@]}" up -d --no-recreate --scale actor=5 >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "scaling failed"; }
wait_for "the learner sees 5 connected actors" actors_connected 5
wait_for "Prometheus finds 5 healthy actor targets" actor_targets_up 5
log "Prometheus: actor targets up: $(targets_up actor)"

# ---- 4. kill an actor: the restart policy brings it back, the learner keeps going --------------------
victims=$("${compose[@]}" ps -q actor 2>/dev/null)
victim=${victims%%$'\n'*}
restarts=$(docker inspect --format '{{.RestartCount}}' "$victim")
step=$(learner_metric step)
# SIGKILL to the container's process, as a crash or the kernel's OOM killer would deliver it. (`docker
# kill` would count as a deliberate stop, which restart: unless-stopped respects.)
kill -KILL "$(docker inspect --format '{{.State.Pid}}' "$victim")"
restarted() { [ "$(docker inspect --format '{{.RestartCount}}' "$victim")" -gt "$restarts" ] &&
  [ "$(docker inspect --format '{{.State.Running}}' "$victim")" = true ]; }
wait_for "the killed actor's container was restarted by its restart policy" restarted
wait_for "the learner keeps updating (past step $step)" learner_step_above "$((step + 200))"
# The killed actor's id counts as live until run.heartbeat_timeout_ms (3 s here) after its last chunk;
# only then does the count of connected actors tell whether the restarted one has joined.
sleep 5
wait_for "the learner sees 5 connected actors again" actors_connected 5

# ---- 5. stop and start the learner: it resumes from its checkpoint -----------------------------------
"${compose[@]}" stop learner >/dev/null 2>&1
log_has learner "checkpoint saved" || fail "the stopped learner wrote no checkpoint"
stopped_step=$(learner_metric step)
log "learner stopped at step $stopped_step"
"${compose[@]}" start learner >/dev/null 2>&1
wait_for "the learner resumed from its checkpoint" log_has learner "resumed from .*/pendulum/checkpoint.pt"
wait_for "the resumed learner's step continues past $stopped_step" learner_step_above "$stopped_step"

log "PASS in $(($(date +%s) - started_at)) s (cleanup follows)"
