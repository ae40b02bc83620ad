#!/usr/bin/python3
"""Loads a TorchScript policy with Python's torch.jit.load and writes its actions for a batch of observations.

    torchscript_actions.py POLICY.ts OBSERVATIONS.json ACTIONS.json

OBSERVATIONS.json holds a list of observations (lists of floats); ACTIONS.json receives {"actions": [...],
"obs_dim", "act_dim", "action_low", "action_high"} as the module reports them. Used by policy_tools_test.cc to
check that what export_policy writes loads and acts the same outside LibTorch's C++ API.
"""
import json
import sys

try:
    import torch
except ImportError:
    sys.exit("torchscript_actions.py: Python's torch is missing: install python3-torch (scripts/install-deps.sh)")


def main():
    module_path, observations_path, actions_path = sys.argv[1:]
    policy = torch.jit.load(module_path)
    with open(observations_path) as file:
        observations = torch.tensor(json.load(file), dtype=torch.float32)
    with torch.no_grad():
        actions = policy(observations)
    with open(actions_path, "w") as file:
        json.dump({"actions": actions.tolist(), "obs_dim": policy.obs_dim, "act_dim": policy.act_dim,
                   "action_low": list(policy.action_low), "action_high": list(policy.action_high)}, file)


if __name__ == "__main__":
    main()
