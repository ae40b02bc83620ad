#!/usr/bin/python3
"""Fed against isolated: the learner's updates per second inside the README's cluster against learner_bench's
isolated update loop in the same configuration, run one after the other on the same machine.

For every config it runs learner_bench (the config's env sizes, learner.algorithm, learner.precision and
learner.threads or --threads; batches already in memory), then the cluster (scripts/run.sh: replay server, two actors,
the evaluator and the learner) for replay.min_size_to_sample + --train-steps env steps, then learner_bench
again. The cluster's rate is the median of the learner's report windows that were training from start to
end (learner.metrics.jsonl: a report whose previous report already counted updates, the last one left out
as it ends with the shutdown); the ratio is that median over the mean of the two learner_bench figures. The
median busy_fraction of the same windows says where a shortfall comes from: below 1, the training thread
waited for batches or did other work between updates; near 1 with a low ratio, each update was slower than
alone (the other processes took CPU or cache from it).

  /usr/bin/python3 bench/fed_vs_isolated.py [--configs configs/pendulum.ini,configs/halfcheetah.ini] ...

Run it by hand on an otherwise idle machine, like bench/time_to_solve.py. OMP_WAIT_POLICY and GOMP_SPINCOUNT in
its environment reach both sides, and the output names them.
"""

import argparse
import configparser
import datetime
import json
import os
import re
import statistics
import subprocess
import sys

from cluster_runs import PROGRAM, REPO, build, endpoint_overrides, refuse_if_ports_busy, run_cluster, warn_if_loaded

# learner_bench --sizes names the env sizes it knows.
BENCH_SIZES = {"Pendulum-v1": "pendulum", "HalfCheetah-v4": "halfcheetah"}


def bench_settings(config, path, threads):
    env_id = config.get("env", "id")
    if env_id not in BENCH_SIZES:
        raise SystemExit(f"{PROGRAM}: {path} trains {env_id}; learner_bench knows the sizes of "
                         f"{', '.join(BENCH_SIZES)} only")
    threads = threads or config.get("learner", "threads", fallback="1")
    if not threads.isdigit():
        raise SystemExit(f"{PROGRAM}: {path} has learner.threads = {threads}; give a count with --threads")
    return {"sizes": BENCH_SIZES[env_id], "algorithm": config.get("learner", "algorithm", fallback="ddpg"),
            "precision": config.get("learner", "precision", fallback="fp32"), "threads": threads}


def isolated_updates_per_s(settings, seconds):
    command = [os.path.join(REPO, "build", "bin", "learner_bench"), str(seconds), "--threads", settings["threads"],
               "--sizes", settings["sizes"], "--algorithms", settings["algorithm"], "--precisions",
               settings["precision"]]
    output = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True).stdout
    # The row: sizes, algorithm, precision, threads, updates/s, ...
    row = re.compile(rf"^\S+\s+{settings['algorithm']}\s+{settings['precision']}\s+{settings['threads']}\s+([\d.]+)")
    for line in output.splitlines():
        match = row.match(line)
        if match:
            return float(match.group(1))
    raise SystemExit(f"{PROGRAM}: no result row in learner_bench's output:\n{output}")


def training_windows(run_dir):
    """The report objects of the windows that trained from start to end."""
    with open(os.path.join(run_dir, "learner.metrics.jsonl")) as metrics:
        reports = [record for record in map(json.loads, metrics)
                   if "eval_return" not in record and "stop_reason" not in record]
    return [report for previous, report in zip(reports, reports[1:-1]) if previous["step"] > 0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="configs/pendulum.ini,configs/halfcheetah.ini",
                        help="comma-separated cluster configs (default %(default)s)")
    parser.add_argument("--train-steps", type=int, default=20000,
                        help="env steps of training after replay.min_size_to_sample (default %(default)s)")
    parser.add_argument("--bench-seconds", type=float, default=10, help="each learner_bench run (default %(default)s)")
    parser.add_argument("--threads", help="learner.threads for both sides (default: the config's)")
    parser.add_argument("--seed", type=int, default=0, help="the cluster's env.seed (default %(default)s)")
    parser.add_argument("--port-offset", type=int, default=0,
                        help="move every port of the cluster by this much (default %(default)s)")
    args = parser.parse_args()

    jobs = []
    for path in args.configs.split(","):
        config = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
        if not config.read(os.path.join(REPO, path)):
            raise SystemExit(f"{PROGRAM}: cannot read the config file '{path}'")
        endpoints, ports = endpoint_overrides(config, args.port_offset)
        refuse_if_ports_busy(ports, args.port_offset)
        steps = config.getint("replay", "min_size_to_sample") + args.train_steps
        jobs.append((path, bench_settings(config, path, args.threads), endpoints, steps))
    out_dir = os.path.join(REPO, "runs", PROGRAM + "-" + datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    os.makedirs(out_dir)
    build("replay_server learner actor learner_bench")

    load_before = warn_if_loaded()
    rows = []
    for path, settings, endpoints, steps in jobs:
        name = os.path.splitext(os.path.basename(path))[0]
        before = isolated_updates_per_s(settings, args.bench_seconds)
        stamp = os.path.basename(out_dir).split("-", 1)[1]
        options = ["--env.seed", str(args.seed), "--learner.stop_at_target", "false", "--learner.max_env_steps",
                   str(steps), "--learner.threads", settings["threads"], "--run.name", f"{PROGRAM}-{name}-{stamp}"]
        run_dir, _ = run_cluster(path, options + endpoints, os.path.join(out_dir, f"cluster-{name}.log"), name)
        after = isolated_updates_per_s(settings, args.bench_seconds)
        windows = training_windows(run_dir)
        if not windows:
            raise SystemExit(f"{PROGRAM}: the cluster on {path} reported no whole training window; give it more "
                             f"--train-steps (see {run_dir})")
        fed = statistics.median(window["updates_per_s"] for window in windows)
        busy = statistics.median(window["busy_fraction"] for window in windows)
        isolated = (before + after) / 2
        rows.append({"config": path, "settings": settings, "run_dir": os.path.relpath(run_dir, REPO),
                     "isolated_before": before, "isolated_after": after, "fed": fed, "ratio": fed / isolated,
                     "busy_fraction": busy, "windows": len(windows)})
        print(f"{path}: isolated {before:.1f} and {after:.1f} updates/s, fed {fed:.1f} (busy {busy:.0%})",
              file=sys.stderr, flush=True)
    load_after = warn_if_loaded()

    print(f"{'config':<28} {'isolated/s':>10} {'fed/s':>8} {'ratio':>6} {'busy':>6} {'windows':>8}")
    for row in rows:
        isolated = (row["isolated_before"] + row["isolated_after"]) / 2
        print(f"{row['config']:<28} {isolated:>10.1f} {row['fed']:>8.1f} {row['ratio']:>6.2f} "
              f"{row['busy_fraction']:>6.0%} {row['windows']:>8}")
    openmp = {name: os.environ[name] for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT") if name in os.environ}
    print(f"OpenMP settings from the environment: {openmp or 'none'}")
    print(f"(the issue's target: ratio >= 0.95) load average (1 min): {load_before:.2f} before, {load_after:.2f} "
          f"after; logs and summary.json in {os.path.relpath(out_dir, REPO)}")
    with open(os.path.join(out_dir, "summary.json"), "w") as summary:
        json.dump({"rows": rows, "load_before": load_before, "load_after": load_after,
                   "openmp": openmp, "train_steps": args.train_steps, "bench_seconds": args.bench_seconds,
                   "seed": args.seed},
                  summary, indent=1)


if __name__ == "__main__":
    main()
