#!/usr/bin/python3
"""Time to solve Pendulum-v1: the README run (scripts/run.sh) against a single-process DDPG, seed by seed.

For every seed it runs the cluster (scripts/run.sh --env.seed S, on the config given, default
configs/pendulum.ini), then bench/reference_ddpg.py with the exact configuration the cluster's learner ran
with (runs/<name>/learner.config.ini), one after the other, never together. A run is solved at the first
evaluation whose mean return reaches learner.target_eval_return (-200 for Pendulum). It prints a row per
seed, the median over the seeds of each side's seconds and env steps to the target, and the ratio of the
median seconds, cluster / reference.

  cluster seconds:   from the moment scripts/run.sh starts the processes (its "run: run directory" line,
                     after installing and building) to the wall_time of the learner's metrics object that
                     logged the solving evaluation: what a user waits for, evaluation latency included.
  reference seconds: from the script's start (before importing torch) to the solving evaluation, with the
                     time spent evaluating left out.

A seed not solved within --max-env-steps (passed to both, as learner.max_env_steps to the cluster) counts
as infinitely slow in the medians. Run it by hand on an otherwise idle machine: it refuses to start when
the cluster's ports are taken (another cluster running) and warns when the load average is above 1.0.

  /usr/bin/python3 bench/time_to_solve.py [--seeds 0-4] [--config FILE] [--port-offset N] ...
"""

import argparse
import configparser
import datetime
import json
import math
import os
import statistics
import subprocess
import sys

from cluster_runs import REPO, build, endpoint_overrides, refuse_if_ports_busy, run_cluster, warn_if_loaded

PYTHON = "/usr/bin/python3"  # Debian's, with python3-torch


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        seeds += range(int(first), int(last or first) + 1)
    return seeds


def require_torch():
    if subprocess.run([PYTHON, "-c", "import torch"], capture_output=True).returncode != 0:
        raise SystemExit(f"time_to_solve: the reference needs PyTorch for {PYTHON}: "
                         "sudo apt-get install python3-torch (Debian's; a bench-only dependency)")


def cluster_result(run_dir, started):
    config = configparser.ConfigParser()
    config.read(os.path.join(run_dir, "learner.config.ini"))
    target = config.getfloat("learner", "target_eval_return")
    last = None
    with open(os.path.join(run_dir, "learner.metrics.jsonl")) as metrics:
        for line in metrics:
            last = json.loads(line)
            if last.get("eval_return") is not None and last["eval_return"] >= target:
                return {"solved": True, "seconds": last["wall_time"] - started, "learner_seconds": last["t"],
                        "env_steps": last["env_steps"], "eval_return": last["eval_return"]}
    return {"solved": False, "env_steps": last["env_steps"] if last else None}


def run_reference(seed, run_dir, args, log_path):
    command = [PYTHON, "bench/reference_ddpg.py", "--config", os.path.join(run_dir, "learner.config.ini"),
               "--seed", str(seed), "--threads", str(args.reference_threads), "--eval-every", str(args.eval_every),
               "--max-env-steps", str(args.max_env_steps)]
    with open(log_path, "w") as log:
        subprocess.run(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    with open(log_path) as log:
        lines = [json.loads(line) for line in log if line.startswith("{")]
    final = lines[-1] if lines and "solved" in lines[-1] else None
    if final is None:
        raise SystemExit(f"time_to_solve: the reference (seed {seed}) printed no result; see {log_path}")
    return final


def show(result, key, digits):
    if not result["solved"]:
        return "not solved"
    return f"{result[key]:.{digits}f}"


def show_number(value, digits):
    return "not solved" if math.isinf(value) else f"{value:.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-4", help="seeds, e.g. 0-4 or 0,2,7 (default %(default)s)")
    parser.add_argument("--config", default="configs/pendulum.ini", help="the cluster's config (default %(default)s)")
    parser.add_argument("--max-env-steps", type=int, default=20000,
                        help="step budget of every run, both sides (default %(default)s)")
    parser.add_argument("--reference-threads", type=int, default=2,
                        help="the reference's torch.set_num_threads (default %(default)s)")
    parser.add_argument("--eval-every", type=int, default=200,
                        help="env steps between the reference's evaluations (default %(default)s)")
    parser.add_argument("--port-offset", type=int, default=0,
                        help="move every port of the cluster by this much (default %(default)s)")
    args = parser.parse_args()

    config = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
    if not config.read(os.path.join(REPO, args.config)):
        raise SystemExit(f"time_to_solve: cannot read the config file '{args.config}'")
    endpoints, ports = endpoint_overrides(config, args.port_offset)
    refuse_if_ports_busy(ports, args.port_offset)
    require_torch()
    out_dir = os.path.join(REPO, "runs", "time_to_solve-" + datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    os.makedirs(out_dir)
    build("replay_server learner actor")

    load_before = warn_if_loaded()
    options = ["--learner.max_env_steps", str(args.max_env_steps)] + endpoints
    rows = []
    for seed in parse_seeds(args.seeds):
        run_dir, started = run_cluster(args.config, ["--env.seed", str(seed)] + options,
                                       os.path.join(out_dir, f"cluster-{seed}.log"), f"seed {seed}")
        cluster = cluster_result(run_dir, started)
        reference = run_reference(seed, run_dir, args, os.path.join(out_dir, f"reference-{seed}.jsonl"))
        rows.append({"seed": seed, "run_dir": os.path.relpath(run_dir, REPO), "cluster": cluster,
                     "reference": reference})
        print(f"seed {seed}: cluster {show(cluster, 'seconds', 1)} s, {show(cluster, 'env_steps', 0)} env steps; "
              f"reference {show(reference, 'seconds', 1)} s, {show(reference, 'env_steps', 0)} env steps",
              file=sys.stderr, flush=True)
    load_after = warn_if_loaded()

    print(f"{'seed':>4}  {'cluster s':>11}  {'env steps':>11}  {'reference s':>11}  {'env steps':>11}")
    for row in rows:
        cluster, reference = row["cluster"], row["reference"]
        print(f"{row['seed']:>4}  {show(cluster, 'seconds', 1):>11}  {show(cluster, 'env_steps', 0):>11}  "
              f"{show(reference, 'seconds', 1):>11}  {show(reference, 'env_steps', 0):>11}")

    def median(side, key):
        return statistics.median(row[side][key] if row[side]["solved"] else math.inf for row in rows)

    medians = {side: {key: median(side, key) for key in ("seconds", "env_steps")} for side in ("cluster", "reference")}
    median_columns = [show_number(medians[side][key], digits)
                      for side in ("cluster", "reference") for key, digits in (("seconds", 1), ("env_steps", 0))]
    print(f"{'median':>6}" + "".join(f"{column:>11}  " for column in median_columns).rstrip())
    ratio = None
    if math.isinf(medians["cluster"]["seconds"]) or math.isinf(medians["reference"]["seconds"]):
        print("no ratio: more than half of the seeds of one side did not reach the target")
    else:
        ratio = medians["cluster"]["seconds"] / medians["reference"]["seconds"]
        print(f"ratio of the median seconds, cluster / reference: {ratio:.2f} (the issue's target: <= 0.5)")
    medians = {side: {key: None if math.isinf(value) else value for key, value in values.items()}
               for side, values in medians.items()}
    print(f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after; runs, logs and summary.json "
          f"in {os.path.relpath(out_dir, REPO)}")
    with open(os.path.join(out_dir, "summary.json"), "w") as summary:
        json.dump({"rows": rows, "medians": medians, "ratio": ratio, "load_before": load_before,
                   "load_after": load_after, "max_env_steps": args.max_env_steps,
                   "reference_threads": args.reference_threads, "eval_every": args.eval_every}, summary, indent=1)


if __name__ == "__main__":
    main()
