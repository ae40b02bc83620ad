#!/usr/bin/python3
"""Learning curves and training diagnostics of ddpg-cluster runs, as PNG figures.

    scripts/plot.py RUN_DIR [RUN_DIR ...] [--out DIR]
    scripts/plot.py LABEL=RUN_DIR [LABEL=RUN_DIR ...] --out DIR

Reads each run directory's learner.metrics.jsonl, and replay_server.metrics.jsonl when there is one, and
writes two figures:

  learning_curve.png  the evaluation return against environment steps and against wall time. With several
                      runs (seeds, say): each run as a thin line, their mean, and their range (min to max),
                      computed where all runs have data, each run interpolated linearly between evaluations.
                      Runs given as LABEL=RUN_DIR are compared by label (fp32=runs/a fp32=runs/b bf16=runs/c,
                      say): each label's runs, mean and range in a colour of their own.
  training.png        updates/s, inserts/s, samples/s, replay size, critic loss, actor loss, mean Q, policy
                      lag and the training episodes' return against wall time, one line per run (dashed: as
                      the replay server counts them).

Wall time is counted from the learner's start (the first metrics object's wall_time minus its t), so a
resumed run's curves go on where they stopped. Next to each PNG, a .json file of the same name holds the
series exactly as plotted (per panel: title, axis labels, and each line's label, x and y), for other tools
and for the test. --out defaults to the run directory when there is one run; several runs need it.
Prints the paths it wrote. Runs on Debian's python3 with python3-matplotlib (scripts/install-deps.sh).
"""
import argparse
import configparser
import json
import math
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt
    import numpy as np
except ImportError as error:
    sys.exit(f"plot.py: {error.name} is missing: install python3-matplotlib (scripts/install-deps.sh installs it)")

LEARNER_METRICS = "learner.metrics.jsonl"
REPLAY_METRICS = "replay_server.metrics.jsonl"

# (title, metrics key, y label, whether the replay server reports it too)
TRAINING_PANELS = [
    ("Updates per second", "updates_per_s", "updates/s", False),
    ("Inserts per second", "inserts_per_s", "transitions/s", True),
    ("Samples per second", "samples_per_s", "transitions/s", True),
    ("Replay size", "replay_size", "transitions", True),
    ("Critic loss", "critic_loss", "mean squared TD error", False),
    ("Actor loss", "actor_loss", "-Q(s, mu(s))", False),
    ("Mean Q", "q_mean", "Q(s, a) over batches", False),
    ("Policy lag", "policy_lag", "updates behind the learner", False),
    ("Training return", "train_return", "return (with exploration noise)", False),
]


def read_json_lines(path):
    """The objects of a JSON-lines file; a line that does not parse (being written) is skipped."""
    objects = []
    with open(path) as file:
        for line in file:
            try:
                objects.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return objects


class Run:
    """One run directory's metrics, with wall time counted from the learner's start; `group` is the label it
    is compared under, or None."""

    def __init__(self, directory, group=None):
        self.directory = directory
        self.group = group
        self.name = os.path.basename(os.path.normpath(directory))
        learner_path = os.path.join(directory, LEARNER_METRICS)
        if not os.path.exists(learner_path):
            raise ValueError(f"{directory} has no {LEARNER_METRICS}: is it a run directory (runs/<name>/)?")
        self.learner = [row for row in read_json_lines(learner_path) if "wall_time" in row]
        if not self.learner:
            raise ValueError(f"{learner_path} holds no metrics yet")
        replay_path = os.path.join(directory, REPLAY_METRICS)
        self.replay = read_json_lines(replay_path) if os.path.exists(replay_path) else []
        first = self.learner[0]
        self.origin = first["wall_time"] - first.get("t", 0.0)
        config = configparser.ConfigParser()
        config.read(os.path.join(directory, "learner.config.ini"))
        self.env_id = config.get("env", "id", fallback=None)
        stops = config.get("learner", "stop_at_target", fallback="false") == "true"
        self.target = config.getfloat("learner", "target_eval_return", fallback=None) if stops else None

    def series(self, rows, x_key, y_key):
        """(x, y) of the rows that have a number for y_key; x_key "wall" is seconds since the learner's start."""
        xs, ys = [], []
        for row in rows:
            y = row.get(y_key)
            x = row["wall_time"] - self.origin if x_key == "wall" else row.get(x_key)
            if isinstance(y, (int, float)) and isinstance(x, (int, float)) and math.isfinite(y):
                xs.append(float(x))
                ys.append(float(y))
        return xs, ys


def strictly_increasing(xs, ys):
    """The curve with one point per x (the latest), in increasing x: linear interpolation needs that."""
    latest = {}
    for x, y in zip(xs, ys):
        latest[x] = y
    keys = sorted(latest)
    return keys, [latest[x] for x in keys]


def mean_and_range(curves):
    """Mean, min and max over curves [(xs, ys), ...] on the x values where all of them have data.

    The grid is every curve's own x values inside the common interval [max of first x, min of last x]; each
    curve is interpolated linearly onto it. None when the curves do not overlap.
    """
    curves = [strictly_increasing(xs, ys) for xs, ys in curves if xs]
    if not curves:
        return None
    low = max(xs[0] for xs, _ in curves)
    high = min(xs[-1] for xs, _ in curves)
    if low > high:
        return None
    grid = sorted({x for xs, _ in curves for x in xs if low <= x <= high})
    values = np.array([np.interp(grid, xs, ys) for xs, ys in curves])
    return grid, values.mean(axis=0).tolist(), values.min(axis=0).tolist(), values.max(axis=0).tolist()


def plot_line(axes, xs, ys, label, **style):
    (line,) = axes.plot(xs, ys, label=label, **style)
    line.set_gid("series")  # recorded in the .json next to the PNG; reference lines are not


def describe(runs):
    env_ids = sorted({run.env_id for run in runs if run.env_id})
    names = runs[0].name if len(runs) == 1 else f"{len(runs)} runs"
    return f"{', '.join(env_ids)}: {names}" if env_ids else names


def groups_of(runs):
    """The runs by label, in the order the labels first appear; one group without a label when none has one."""
    groups = {}
    for run in runs:
        groups.setdefault(run.group, []).append(run)
    return groups


def plot_group(axes, runs, curves, label, color, mean_color):
    """One group's runs as lines and, for several, their mean and range. `label` prefixes every line's label."""
    prefix = f"{label}: " if label else ""
    several = len(runs) > 1
    for run, (xs, ys) in zip(runs, curves):
        style = dict(linewidth=0.8, alpha=0.5) if several else dict(marker=".", linewidth=1.5)
        if label:
            style["color"] = color
        plot_line(axes, xs, ys, prefix + run.name, **style)
    summary = mean_and_range(curves) if several else None
    if summary:
        grid, mean, low, high = summary
        axes.fill_between(grid, low, high, color=color, alpha=0.15, linewidth=0)
        plot_line(axes, grid, low, f"{prefix}min of {len(runs)} runs", color=color, linewidth=0.5, alpha=0.6)
        plot_line(axes, grid, high, f"{prefix}max of {len(runs)} runs", color=color, linewidth=0.5, alpha=0.6)
        plot_line(axes, grid, mean, f"{prefix}mean of {len(runs)} runs", color=mean_color, linewidth=2)


def learning_curve(runs):
    figure, panels = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    groups = groups_of(runs)
    for axes, x_key, x_label in ((panels[0], "env_steps", "environment steps"), (panels[1], "wall", "wall time (s)")):
        for index, (label, members) in enumerate(groups.items()):
            curves = [run.series(run.learner, x_key, "eval_return") for run in members]
            # Unlabelled runs keep matplotlib's colour per run, with a black mean over a blue range.
            color = f"C{index % 10}" if label else "tab:blue"
            plot_group(axes, members, curves, label, color, color if label else "black")
        targets = {run.target for run in runs if run.target is not None}
        for target in targets:
            axes.axhline(target, color="gray", linestyle=":", linewidth=1, label=f"target {target:g}")
        axes.set_title(f"Evaluation return against {x_label.split(' (')[0]}")
        axes.set_xlabel(x_label)
        axes.set_ylabel("mean evaluation return")
        axes.grid(alpha=0.3)
    panels[0].legend(fontsize="small")
    figure.suptitle(describe(runs))
    return figure


def training(runs):
    figure, grid = plt.subplots(3, 3, figsize=(13, 9.5), constrained_layout=True)
    several = len(runs) > 1
    for axes, (title, key, y_label, from_replay) in zip(grid.flat, TRAINING_PANELS):
        for index, run in enumerate(runs):
            color = f"C{index % 10}"
            xs, ys = run.series(run.learner, "wall", key)
            name = f"{run.group}: {run.name}" if run.group else run.name
            plot_line(axes, xs, ys, name if several else "learner", color=color, linewidth=1.2)
            if from_replay and run.replay:
                xs, ys = run.series(run.replay, "wall", key)
                label = f"{name} (replay server)" if several else "replay server"
                plot_line(axes, xs, ys, label, color=color, linestyle="--", linewidth=1)
        values = [y for line in axes.get_lines() for y in line.get_ydata()]
        if key == "critic_loss" and values and min(values) > 0:
            axes.set_yscale("log")
        axes.set_title(title)
        axes.set_xlabel("wall time (s)")
        axes.set_ylabel(y_label)
        axes.grid(alpha=0.3)
    grid.flat[1].legend(fontsize="small")
    figure.suptitle(describe(runs))
    return figure


def plotted_series(figure):
    """What each panel shows, read back from the figure itself."""
    panels = []
    for axes in figure.axes:
        series = [{"label": line.get_label(), "x": [float(x) for x in line.get_xdata()],
                   "y": [float(y) for y in line.get_ydata()]}
                  for line in axes.get_lines() if line.get_gid() == "series"]
        panels.append({"title": axes.get_title(), "x_label": axes.get_xlabel(), "y_label": axes.get_ylabel(),
                       "y_scale": axes.get_yscale(), "series": series})
    return panels


def write(figure, out_dir, name, runs):
    png = os.path.join(out_dir, name + ".png")
    figure.savefig(png, dpi=80)
    with open(os.path.join(out_dir, name + ".json"), "w") as file:
        json.dump({"figure": name + ".png", "runs": [os.path.abspath(run.directory) for run in runs],
                   "panels": plotted_series(figure)}, file)
    plt.close(figure)
    return png


def main(argv):
    parser = argparse.ArgumentParser(prog="plot.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", metavar="[LABEL=]RUN_DIR",
                        help="run directories (runs/<name>/), each with an optional label to compare runs by")
    parser.add_argument("--out", help="directory for the figures (default: the run directory, for one run)")
    args = parser.parse_args(argv)
    if args.out is None and len(args.runs) > 1:
        parser.error("several runs need --out DIR")
    labelled = [argument.partition("=") if "=" in argument else (None, "", argument) for argument in args.runs]
    if any(label is None for label, _, _ in labelled) and any(label is not None for label, _, _ in labelled):
        parser.error("give every run a LABEL= or none")
    if any(label == "" for label, _, _ in labelled):
        parser.error("an empty LABEL before '='")
    try:
        runs = [Run(directory, label) for label, _, directory in labelled]
    except (OSError, ValueError) as error:
        print(f"plot.py: error: {error}", file=sys.stderr)
        return 2
    out_dir = args.out or runs[0].directory
    os.makedirs(out_dir, exist_ok=True)
    for name, make in (("learning_curve", learning_curve), ("training", training)):
        print(write(make(runs), out_dir, name, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
