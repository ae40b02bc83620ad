"""What the benchmarks that run the README's cluster (scripts/run.sh) share: moving its ports, refusing to
start beside another cluster, warning on a loaded machine, and running it to the end."""

import errno
import os
import re
import socket
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAM = os.path.splitext(os.path.basename(sys.argv[0]))[0]
ENDPOINTS = (("replay", "bind", "address"), ("learner", "weights_bind", "weights_address"),
             ("learner", "reports_bind", "reports_address"))


def port_of(endpoint):
    match = re.fullmatch(r"tcp://(.+):(\d+)", endpoint)
    if not match:
        raise SystemExit(f"{PROGRAM}: cannot read a TCP port from the endpoint '{endpoint}'")
    return match.group(1), int(match.group(2))


def endpoint_overrides(config, offset):
    """The options that move every endpoint of the config by `offset` ports, and the ports bound."""
    overrides, ports = [], []
    for section, bind_key, address_key in ENDPOINTS:
        for key in (bind_key, address_key):
            host, port = port_of(config.get(section, key))
            if offset:
                overrides += [f"--{section}.{key}", f"tcp://{host}:{port + offset}"]
            if key == bind_key:
                ports.append(port + offset)
    return overrides, ports


def refuse_if_ports_busy(ports, offset):
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # As ZeroMQ's listeners do: a connection of an earlier run in TIME_WAIT does not make a port busy.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("0.0.0.0", port))
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
                raise SystemExit(
                    f"{PROGRAM}: port {port} is in use: another cluster (or something else) is running, and "
                    f"its processes would both clash with this run's and slow it down. Stop it, or if you must, "
                    f"move this run's ports with --port-offset N (now {offset}).")


def warn_if_loaded():
    load = os.getloadavg()[0]
    if load > 1.0:
        print(f"{PROGRAM}: warning: the load average is {load:.2f} (above 1.0): other work shares the CPUs, "
              "so these figures are not comparable with an idle machine's", file=sys.stderr)
    return load


def build(targets):
    # Its progress goes to stderr: stdout is the benchmark's table.
    subprocess.run(["bash", "scripts/build.sh"], cwd=REPO, check=True, stdout=sys.stderr,
                   env=dict(os.environ, TARGETS=targets))


def run_cluster(config_path, options, log_path, what):
    """Runs scripts/run.sh to the end; returns the run directory and the wall time its processes started.
    `what` names the run in messages (e.g. "seed 3")."""
    command = ["bash", "scripts/run.sh", "--config", config_path] + options
    started, run_dir = None, None
    with open(log_path, "w") as log, subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                                                      stderr=subprocess.STDOUT, text=True) as cluster:
        for line in cluster.stdout:
            if started is None and line.startswith("run: run directory "):
                started = time.time()  # the clock of the metrics' wall_time
                run_dir = line.split()[3]
            log.write(line)
        status = cluster.wait()
    if run_dir is None:
        raise SystemExit(f"{PROGRAM}: scripts/run.sh ({what}) started no cluster; see {log_path}")
    if not os.path.exists(os.path.join(REPO, run_dir, "learner.metrics.jsonl")):
        raise SystemExit(f"{PROGRAM}: scripts/run.sh ({what}) exited with status {status} before the learner "
                         f"wrote a metrics object; see {log_path} and the logs in {run_dir}")
    if status != 0:
        print(f"{PROGRAM}: scripts/run.sh ({what}) exited with status {status}; see {log_path}", file=sys.stderr)
    return os.path.join(REPO, run_dir), started
