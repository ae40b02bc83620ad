#!/bin/sh
# Entry point of the ddpg-cluster image: runs the given command (replay_server, learner or actor with its
# options) with $DDPG_ARGS appended, so that one environment variable adds configuration overrides to
# every service of a compose project, the way options after scripts/run.sh go to every process. The last
# value of a key wins. exec: the binary becomes the container's main process and gets its signals.
set -eu
# shellcheck disable=SC2086  # DDPG_ARGS is split into words on purpose
exec "$@" ${DDPG_ARGS:-}
