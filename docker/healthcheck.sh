#!/bin/sh
# Docker health check for a ddpg-cluster container (see docker-compose.yml): healthy while the process's
# service loop turns. Every process (replay_server, learner, actor, actor --eval) writes a log line or a
# metrics object into its run directory each run.report_interval_s; the check passes when a .log or
# .metrics.jsonl file that a process of this container holds open was written within MAX_AGE_S seconds.
#
#   ddpg-healthcheck [MAX_AGE_S]      (default 60; keep it well above run.report_interval_s)
set -eu
max_age_s=${1:-60}
newest=0
for fd in /proc/[0-9]*/fd/*; do
  path=$(readlink "$fd" 2>/dev/null) || continue
  case $path in
    *.log | *.metrics.jsonl)
      modified=$(stat -c %Y "$path" 2>/dev/null) || continue
      if [ "$modified" -gt "$newest" ]; then newest=$modified; fi
      ;;
  esac
done
if [ "$newest" -eq 0 ]; then
  echo "unhealthy: no process has opened its log yet (an actor waits for its id from the replay server)"
  exit 1
fi
age_s=$(($(date +%s) - newest))
if [ "$age_s" -gt "$max_age_s" ]; then
  echo "unhealthy: nothing logged for ${age_s} s (limit ${max_age_s} s)"
  exit 1
fi
echo "healthy: last log line ${age_s} s ago"
