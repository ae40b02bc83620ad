#!/usr/bin/python3
"""Single-process DDPG on Pendulum-v1: the reference bench/time_to_solve.py measures the cluster against.

Written from the published algorithm (Lillicrap et al. 2015, "Continuous control with deep reinforcement
learning", as re-implemented in Fujimoto et al. 2018's "OurDDPG": 256-256 networks, Adam, batch 256, state
and action concatenated at the critic's input) with every hyperparameter read from the cluster's INI file,
so that both learn with the same settings:

  network.hidden_sizes          ReLU layers of actor and critic; output layers start at U(-3e-3, 3e-3)
  learner.batch_size, gamma, tau, actor_lr, critic_lr   (Adam for both networks; plain MSE critic loss)
  replay.capacity, min_size_to_sample, samples_per_insert   (uniform sampling with replacement; updates per
                                env step = samples_per_insert / batch_size once min_size_to_sample
                                transitions are stored; uniformly random actions until then)
  actor.n_step                  k-step returns as actor/transition_builder.h builds them: discount gamma^k,
                                0 after a termination, bootstrapped at the 200-step time limit
  actor.noise_sigma             Gaussian noise of sigma * the action half-range, actions then clipped
  actor.eval_episodes, learner.target_eval_return

Pendulum-v1's equations and reset distribution are envs/classic/pendulum.cc's (Gymnasium's). Every
--eval-every env steps it runs eval_episodes deterministic episodes with the current actor, with the clock
paused, and prints one JSON line; it stops at the first evaluation whose mean return reaches the target and
prints a final JSON line with the seconds (since the script started, evaluations excluded) and env steps it
took, or solved: false when --max-env-steps ran out first.

  /usr/bin/python3 bench/reference_ddpg.py [--config configs/pendulum.ini] [--seed 0] [--threads 2]
"""

import time

# The clock starts before torch is imported: the cluster's figure, too, includes loading LibTorch.
SCRIPT_START = time.monotonic()

import argparse  # noqa: E402
import collections  # noqa: E402
import configparser  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402


class Pendulum:
    """Pendulum-v1: observation (cos theta, sin theta, theta_dot), one torque in [-2, 2], 200 steps."""

    MAX_SPEED = 8.0
    MAX_TORQUE = 2.0
    DT = 0.05
    GRAVITY = 10.0
    MASS = 1.0
    LENGTH = 1.0
    MAX_EPISODE_STEPS = 200
    OBS_DIM = 3
    ACT_DIM = 1

    def __init__(self, rng):
        self.rng = rng
        self.theta = 0.0
        self.theta_dot = 0.0
        self.steps = 0

    def reset(self):
        self.theta = self.rng.uniform(-math.pi, math.pi)
        self.theta_dot = self.rng.uniform(-1.0, 1.0)
        self.steps = 0
        return self.observe()

    def step(self, torque):
        """Returns (observation, reward, terminated, truncated); Pendulum never terminates."""
        u = min(max(torque, -self.MAX_TORQUE), self.MAX_TORQUE)
        cost = angle_normalize(self.theta) ** 2 + 0.1 * self.theta_dot**2 + 0.001 * u * u
        theta_dot = self.theta_dot + (
            3.0 * self.GRAVITY / (2.0 * self.LENGTH) * math.sin(self.theta)
            + 3.0 / (self.MASS * self.LENGTH**2) * u
        ) * self.DT
        self.theta_dot = min(max(theta_dot, -self.MAX_SPEED), self.MAX_SPEED)
        self.theta += self.theta_dot * self.DT
        self.steps += 1
        return self.observe(), -cost, False, self.steps >= self.MAX_EPISODE_STEPS

    def observe(self):
        return [math.cos(self.theta), math.sin(self.theta), self.theta_dot]


def angle_normalize(x):
    # Python's % is the floored modulo Gymnasium's NumPy code relies on.
    return (x + math.pi) % (2.0 * math.pi) - math.pi


def mlp(inputs, hidden_sizes, outputs):
    layers = []
    width = inputs
    for hidden in hidden_sizes:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    output = nn.Linear(width, outputs)
    # Near-zero initial actions and values, as in the DDPG paper (and common/networks.cc).
    nn.init.uniform_(output.weight, -3e-3, 3e-3)
    nn.init.uniform_(output.bias, -3e-3, 3e-3)
    layers.append(output)
    return nn.Sequential(*layers)


class Actor(nn.Module):
    def __init__(self, hidden_sizes, act_low, act_high):
        super().__init__()
        self.body = mlp(Pendulum.OBS_DIM, hidden_sizes, Pendulum.ACT_DIM)
        self.scale = (act_high - act_low) / 2.0
        self.offset = (act_high + act_low) / 2.0

    def forward(self, observations):
        return torch.tanh(self.body(observations)) * self.scale + self.offset


class Critic(nn.Module):
    def __init__(self, hidden_sizes):
        super().__init__()
        self.body = mlp(Pendulum.OBS_DIM + Pendulum.ACT_DIM, hidden_sizes, 1)

    def forward(self, observations, actions):
        return self.body(torch.cat([observations, actions], dim=1))


class ReplayBuffer:
    """A ring of (s, a, k-step reward, discount, s') rows, sampled uniformly with replacement."""

    def __init__(self, capacity, generator):
        self.capacity = capacity
        self.generator = generator
        self.observations = torch.zeros(capacity, Pendulum.OBS_DIM)
        self.actions = torch.zeros(capacity, Pendulum.ACT_DIM)
        self.rewards = torch.zeros(capacity, 1)
        self.discounts = torch.zeros(capacity, 1)
        self.next_observations = torch.zeros(capacity, Pendulum.OBS_DIM)
        self.size = 0
        self.next_slot = 0

    def add(self, observation, action, reward, discount, next_observation):
        slot = self.next_slot
        self.observations[slot] = torch.tensor(observation)
        self.actions[slot] = torch.tensor(action)
        self.rewards[slot] = reward
        self.discounts[slot] = discount
        self.next_observations[slot] = torch.tensor(next_observation)
        self.next_slot = (slot + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size):
        rows = torch.randint(0, self.size, (batch_size,), generator=self.generator)
        return (self.observations[rows], self.actions[rows], self.rewards[rows], self.discounts[rows],
                self.next_observations[rows])


class NStepWindow:
    """Turns one environment's steps into k-step transitions, as actor/transition_builder.cc does.

    A transition from step t holds s_t, a_t, r_t + gamma r_{t+1} + ... + gamma^(k-1) r_{t+k-1}, the discount
    gamma^k and s_{t+k}. Normally k = n; when the episode ends, every waiting step is emitted with the steps
    that remain, discount 0 at a termination and gamma^k at the time limit (bootstrapped from the last
    observation).
    """

    def __init__(self, n_step, gamma):
        self.n_step = n_step
        self.gamma = gamma
        self.steps = collections.deque()

    def add(self, observation, action, reward, next_observation, terminated, truncated):
        """Returns the transitions completed by this step."""
        self.steps.append((observation, action, reward))
        completed = []
        if terminated or truncated:
            while self.steps:
                completed.append(self.emit_oldest(next_observation, terminated))
        elif len(self.steps) == self.n_step:
            completed.append(self.emit_oldest(next_observation, False))
        return completed

    def emit_oldest(self, next_observation, terminated):
        reward = 0.0
        discount = 1.0
        for _, _, step_reward in self.steps:
            reward += discount * step_reward
            discount *= self.gamma
        observation, action, _ = self.steps.popleft()
        return observation, action, reward, 0.0 if terminated else discount, next_observation


class Settings:
    """The hyperparameters, read from the cluster's INI file (a key the file lacks is an error)."""

    def __init__(self, path):
        parser = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
        if not parser.read(path):
            raise SystemExit(f"reference_ddpg: cannot read the config file '{path}'")

        def get(section, key, fallback=None):
            value = parser.get(section, key, fallback=fallback)
            if value is None:
                raise SystemExit(f"reference_ddpg: {path} has no {section}.{key}")
            return value.strip()

        # Alternatives this reference does not implement are refused rather than silently replaced.
        required = {("env", "id"): "Pendulum-v1", ("learner", "algorithm"): "ddpg", ("replay", "sampler"): "uniform",
                    ("actor", "noise"): "gaussian"}
        defaults = {("learner", "algorithm"): "ddpg", ("replay", "sampler"): "uniform"}
        for (section, key), wanted in required.items():
            value = get(section, key, defaults.get((section, key)))
            if value != wanted:
                raise SystemExit(f"reference_ddpg: {section}.{key} = {value}; the reference implements {wanted} only")
        self.hidden_sizes = [int(width) for width in get("network", "hidden_sizes").split(",")]
        self.capacity = int(get("replay", "capacity"))
        self.min_size_to_sample = int(get("replay", "min_size_to_sample"))
        self.samples_per_insert = float(get("replay", "samples_per_insert"))
        self.batch_size = int(get("learner", "batch_size"))
        self.gamma = float(get("learner", "gamma"))
        self.tau = float(get("learner", "tau"))
        self.actor_lr = float(get("learner", "actor_lr"))
        self.critic_lr = float(get("learner", "critic_lr"))
        self.target_eval_return = float(get("learner", "target_eval_return"))
        self.n_step = int(get("actor", "n_step"))
        self.noise_sigma = float(get("actor", "noise_sigma"))
        self.eval_episodes = int(get("actor", "eval_episodes"))


class Agent:
    def __init__(self, settings):
        self.settings = settings
        act_low = torch.tensor([-Pendulum.MAX_TORQUE])
        act_high = torch.tensor([Pendulum.MAX_TORQUE])
        self.actor = Actor(settings.hidden_sizes, act_low, act_high)
        self.critic = Critic(settings.hidden_sizes)
        self.target_actor = copy.deepcopy(self.actor)
        self.target_critic = copy.deepcopy(self.critic)
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=settings.actor_lr)
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=settings.critic_lr)

    def act(self, observations):
        with torch.no_grad():
            return self.actor(torch.tensor(observations, dtype=torch.float32))

    def update(self, batch):
        observations, actions, rewards, discounts, next_observations = batch
        with torch.no_grad():
            targets = rewards + discounts * self.target_critic(next_observations, self.target_actor(next_observations))
        critic_loss = nn.functional.mse_loss(self.critic(observations, actions), targets)
        self.critic_optimizer.zero_grad()
        critic_loss.backward()
        self.critic_optimizer.step()

        actor_loss = -self.critic(observations, self.actor(observations)).mean()
        self.actor_optimizer.zero_grad()
        # Gradients for the actor's parameters only: the critic's would be computed and thrown away.
        actor_loss.backward(inputs=list(self.actor.parameters()))
        self.actor_optimizer.step()

        with torch.no_grad():
            for network, target in ((self.actor, self.target_actor), (self.critic, self.target_critic)):
                for parameter, target_parameter in zip(network.parameters(), target.parameters()):
                    target_parameter.mul_(1.0 - self.settings.tau).add_(parameter, alpha=self.settings.tau)


def evaluate(agent, environments):
    """Mean return of one deterministic episode in each environment, stepped together."""
    observations = [environment.reset() for environment in environments]
    returns = [0.0] * len(environments)
    for _ in range(Pendulum.MAX_EPISODE_STEPS):
        actions = agent.act(observations)
        for i, environment in enumerate(environments):
            observations[i], reward, _, _ = environment.step(actions[i, 0].item())
            returns[i] += reward
    return sum(returns) / len(returns)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="configs/pendulum.ini",
                        help="INI file with the cluster's hyperparameters (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default %(default)s)")
    parser.add_argument("--eval-every", type=int, default=200,
                        help="env steps between evaluations (default %(default)s)")
    parser.add_argument("--max-env-steps", type=int, default=20000,
                        help="give up after this many env steps (default %(default)s)")
    args = parser.parse_args()
    settings = Settings(args.config)

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    torch.manual_seed(args.seed)
    environment = Pendulum(random.Random(f"train-{args.seed}"))
    evaluation_environments = [Pendulum(random.Random(f"eval-{args.seed}-{i}")) for i in range(settings.eval_episodes)]
    exploration = random.Random(f"noise-{args.seed}")
    sampling = torch.Generator().manual_seed(args.seed)
    agent = Agent(settings)
    replay = ReplayBuffer(settings.capacity, sampling)
    window = NStepWindow(settings.n_step, settings.gamma)
    noise_scale = settings.noise_sigma * Pendulum.MAX_TORQUE  # sigma is a fraction of the half-range
    updates_per_step = settings.samples_per_insert / settings.batch_size

    evaluation_seconds = 0.0
    update_credit = 0.0
    updates = 0
    observation = environment.reset()
    for env_steps in range(1, args.max_env_steps + 1):
        if updates == 0:
            torque = exploration.uniform(-Pendulum.MAX_TORQUE, Pendulum.MAX_TORQUE)
        else:
            torque = agent.act([observation])[0, 0].item() + noise_scale * exploration.gauss(0.0, 1.0)
            torque = min(max(torque, -Pendulum.MAX_TORQUE), Pendulum.MAX_TORQUE)
        next_observation, reward, terminated, truncated = environment.step(torque)
        for transition in window.add(observation, [torque], reward, next_observation, terminated, truncated):
            replay.add(*transition)
        observation = environment.reset() if terminated or truncated else next_observation

        if replay.size >= settings.min_size_to_sample:
            update_credit += updates_per_step
            while update_credit >= 1.0:
                agent.update(replay.sample(settings.batch_size))
                updates += 1
                update_credit -= 1.0

        if updates == 0 or env_steps % args.eval_every != 0:
            continue
        evaluation_start = time.monotonic()
        eval_return = evaluate(agent, evaluation_environments)
        evaluation_seconds += time.monotonic() - evaluation_start
        seconds = time.monotonic() - SCRIPT_START - evaluation_seconds
        report(env_steps=env_steps, updates=updates, seconds=round(seconds, 3), eval_return=round(eval_return, 2))
        if eval_return >= settings.target_eval_return:
            report(solved=True, seed=args.seed, threads=args.threads, env_steps=env_steps, seconds=round(seconds, 3),
                   eval_return=round(eval_return, 2), target=settings.target_eval_return,
                   evaluation_seconds=round(evaluation_seconds, 3))
            return 0
    seconds = time.monotonic() - SCRIPT_START - evaluation_seconds
    report(solved=False, seed=args.seed, threads=args.threads, env_steps=args.max_env_steps, seconds=round(seconds, 3),
           target=settings.target_eval_return, evaluation_seconds=round(evaluation_seconds, 3))
    return 1


def report(**fields):
    print(json.dumps(fields), flush=True)


if __name__ == "__main__":
    sys.exit(main())
