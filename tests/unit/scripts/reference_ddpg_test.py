#!/usr/bin/python3
"""Tests of bench/reference_ddpg.py's mathematics, which bench/time_to_solve.py's comparison rests on: its
Pendulum-v1 steps as the C++ environment does (against `envtool rollout`, the path given as the argument),
its k-step transitions are actor/transition_builder.h's, and it reads the cluster's hyperparameters."""
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.join(os.path.dirname(__file__), "..", "..", "..")
_spec = importlib.util.spec_from_file_location("reference_ddpg", os.path.join(REPO, "bench", "reference_ddpg.py"))
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)
ENVTOOL = None  # set from the command line


class PendulumTest(unittest.TestCase):
    def test_every_step_matches_the_cpp_environment(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "rollout.jsonl")
            subprocess.run([ENVTOOL, "rollout", "--env", "Pendulum-v1", "--seed", "5", "--episodes", "2", "--policy",
                            "random", "--out", path], check=True, capture_output=True)
            with open(path) as rollout:
                steps = [json.loads(line) for line in rollout]
        self.assertEqual(len(steps), 2 * reference.Pendulum.MAX_EPISODE_STEPS)
        pendulum = reference.Pendulum(rng=None)
        for step in steps:
            cos_theta, sin_theta, theta_dot = step["obs"]
            # The state is restored from the float observation, so each step is compared on its own.
            pendulum.theta = math.atan2(sin_theta, cos_theta)
            pendulum.theta_dot = theta_dot
            pendulum.steps = step["t"]
            observation, reward, terminated, truncated = pendulum.step(step["action"][0])
            for mine, theirs in zip(observation, step["next_obs"]):
                self.assertAlmostEqual(mine, theirs, delta=1e-5)
            self.assertAlmostEqual(reward, step["reward"], delta=1e-4 * max(1.0, abs(step["reward"])))
            self.assertEqual(terminated, step["terminated"])
            self.assertEqual(truncated, step["truncated"])

    def test_the_speed_is_clipped_after_the_euler_step(self):
        pendulum = reference.Pendulum(rng=None)
        pendulum.theta, pendulum.theta_dot = math.pi / 2, 7.9
        # 7.9 + (3 g / 2 l sin(pi/2) + 3 / (m l^2) u) dt = 7.9 + (15 + 6) 0.05 = 8.95, clipped to 8.
        observation, reward, _, _ = pendulum.step(2.5)  # the torque is clipped to 2 first
        self.assertEqual(observation[2], 8.0)
        self.assertAlmostEqual(pendulum.theta, math.pi / 2 + 8.0 * 0.05)
        self.assertAlmostEqual(reward, -((math.pi / 2) ** 2 + 0.1 * 7.9**2 + 0.001 * 4.0))

    def test_the_cost_takes_the_angle_modulo_two_pi(self):
        # Floored, as NumPy's: -4 rad is 2pi - 4 rad, not -4 + 0 (C's truncating fmod would leave it at -4).
        self.assertAlmostEqual(reference.angle_normalize(-4.0), 2 * math.pi - 4.0)
        self.assertAlmostEqual(reference.angle_normalize(7.0), 7.0 - 2 * math.pi)
        self.assertAlmostEqual(reference.angle_normalize(-7.0), -7.0 + 2 * math.pi)

    def test_reset_draws_the_angle_and_speed_uniformly(self):
        pendulum = reference.Pendulum(reference.random.Random(1))
        states = [(pendulum.reset(), pendulum.theta) for _ in range(2000)]
        thetas = [theta for _, theta in states]
        speeds = [observation[2] for observation, _ in states]
        self.assertTrue(-math.pi <= min(thetas) < -3.0 and 3.0 < max(thetas) <= math.pi)
        self.assertTrue(-1.0 <= min(speeds) < -0.99 and 0.99 < max(speeds) <= 1.0)


class NStepWindowTest(unittest.TestCase):
    # Rewards 1, 2, 3, 4 with gamma 0.5 and n = 3; s_k is the observation after step k.
    def steps(self, window, last_terminated):
        emitted = []
        for k, reward in enumerate([1.0, 2.0, 3.0, 4.0], start=1):
            end = k == 4
            emitted.append(window.add(f"s{k - 1}", [k], reward, f"s{k}", end and last_terminated,
                                      end and not last_terminated))
        return emitted

    def test_full_windows_then_the_time_limit_bootstraps(self):
        emitted = self.steps(reference.NStepWindow(3, 0.5), last_terminated=False)
        self.assertEqual(emitted[:2], [[], []])
        self.assertEqual(emitted[2], [("s0", [1], 1 + 0.5 * 2 + 0.25 * 3, 0.125, "s3")])
        self.assertEqual(emitted[3], [("s1", [2], 2 + 0.5 * 3 + 0.25 * 4, 0.125, "s4"),
                                      ("s2", [3], 3 + 0.5 * 4, 0.25, "s4"), ("s3", [4], 4.0, 0.5, "s4")])

    def test_a_termination_cuts_every_waiting_transition(self):
        emitted = self.steps(reference.NStepWindow(3, 0.5), last_terminated=True)
        self.assertEqual([discount for *_, discount, _ in emitted[3]], [0.0, 0.0, 0.0])
        self.assertEqual([reward for _, _, reward, _, _ in emitted[3]], [4.5, 5.0, 4.0])

    def test_one_step_returns(self):
        window = reference.NStepWindow(1, 0.9)
        self.assertEqual(window.add("s0", [0.5], -1.0, "s1", False, False), [("s0", [0.5], -1.0, 0.9, "s1")])


class AgentTest(unittest.TestCase):
    def setUp(self):
        self.settings = reference.Settings(os.path.join(REPO, "configs", "pendulum.ini"))
        self.settings.hidden_sizes = [16, 16]
        reference.torch.manual_seed(0)
        self.agent = reference.Agent(self.settings)

    def test_actions_stay_within_the_torque_bounds(self):
        with reference.torch.no_grad():
            for layer in self.agent.actor.body:
                if isinstance(layer, reference.nn.Linear):
                    layer.weight.fill_(1.0)
        actions = self.agent.act([[1.0, 0.0, 8.0], [-1.0, 0.0, -8.0]])
        self.assertAlmostEqual(actions.max().item(), 2.0, places=5)
        self.assertGreaterEqual(actions.min().item(), -2.0)

    def test_targets_move_by_tau_towards_the_updated_networks(self):
        targets_before = [p.clone() for p in self.agent.target_critic.parameters()]
        batch = (reference.torch.randn(8, 3), reference.torch.rand(8, 1) * 4 - 2, reference.torch.randn(8, 1),
                 reference.torch.full((8, 1), 0.9), reference.torch.randn(8, 3))
        self.agent.update(batch)
        tau = self.settings.tau
        for before, online, target in zip(targets_before, self.agent.critic.parameters(),
                                          self.agent.target_critic.parameters()):
            self.assertTrue(reference.torch.allclose(target, (1 - tau) * before + tau * online, atol=1e-7))
        # The update moved the online critic, so the targets are not just copies.
        self.assertFalse(all(reference.torch.equal(a, b) for a, b in zip(targets_before,
                                                                         self.agent.critic.parameters())))


class SettingsTest(unittest.TestCase):
    def test_reads_the_pendulum_config(self):
        settings = reference.Settings(os.path.join(REPO, "configs", "pendulum.ini"))
        self.assertEqual(settings.hidden_sizes, [256, 256])
        self.assertEqual((settings.batch_size, settings.gamma, settings.tau), (256, 0.98, 0.005))
        self.assertEqual((settings.actor_lr, settings.critic_lr), (0.001, 0.001))
        self.assertEqual((settings.capacity, settings.min_size_to_sample, settings.samples_per_insert),
                         (200000, 1000, 256))
        self.assertEqual((settings.n_step, settings.noise_sigma, settings.eval_episodes), (3, 0.2, 10))
        self.assertEqual(settings.target_eval_return, -200)

    def test_refuses_what_it_does_not_implement(self):
        with open(os.path.join(REPO, "configs", "pendulum.ini")) as config:
            text = config.read()
        with tempfile.NamedTemporaryFile("w", suffix=".ini") as td3:
            td3.write(text.replace("[learner]\n", "[learner]\nalgorithm = td3\n"))
            td3.flush()
            with self.assertRaises(SystemExit):
                reference.Settings(td3.name)


if __name__ == "__main__":
    ENVTOOL = sys.argv.pop(1)
    unittest.main()
