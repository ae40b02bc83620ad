#include "learner/ddpg.h"

#include <ATen/record_function.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <filesystem>
#include <iomanip>
#include <limits>
#include <sstream>
#include <system_error>
#include <utility>

#include "common/networks.h"
#include "learner/categorical_distribution.h"
#include "learner/flat_parameters.h"

namespace ddpg {
namespace {

// Targets start as exact copies; a fresh random initialization would make the first targets meaningless.
void CopyParameters(torch::nn::Module& target, const torch::nn::Module& source) {
  torch::NoGradGuard no_grad;
  auto target_params = target.parameters();
  auto source_params = source.parameters();
  for (size_t i = 0; i < target_params.size(); ++i) target_params[i].copy_(source_params[i]);
}

// Moved before any optimizer sees the parameters, as in pytorch/examples.
template <typename Holder>
Holder OnDevice(Holder module, const torch::Device& device) {
  module->to(device);
  return module;
}

// A [rows, cols] float tensor on `device` that owns its memory: the caller's vector may go away while
// autograd still holds the tensor. from_blob wants a mutable pointer, but the copy never writes through it.
torch::Tensor ToTensor(const std::vector<float>& values, int64_t rows, int64_t cols, const torch::Device& device) {
  return torch::from_blob(const_cast<float*>(values.data()), {rows, cols}, torch::kFloat32)
      .to(device, torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
}

std::vector<float> ToVector(const torch::Tensor& tensor) {
  auto values = tensor.to(torch::kCPU, torch::kFloat32).contiguous();
  return {values.data_ptr<float>(), values.data_ptr<float>() + values.numel()};
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Nothing applied: critic_updated false as well, so that the caller does not count an update.
UpdateResult NotUpdated() {
  return {.critic_loss = kNaN, .actor_loss = kNaN, .q_mean = kNaN, .actor_updated = false, .critic_updated = false};
}

std::string ErrorText(const c10::Error& error) { return error.what_without_backtrace(); }

std::vector<int64_t> ToInt64(const std::vector<int>& values) { return {values.begin(), values.end()}; }
std::vector<double> ToDouble(const std::vector<float>& values) { return {values.begin(), values.end()}; }

// Nine significant digits print every float exactly, so equal texts mean equal values.
template <typename T>
std::string Join(const std::vector<T>& values) {
  std::ostringstream text;
  text << std::setprecision(9);
  for (size_t i = 0; i < values.size(); ++i) text << (i == 0 ? "" : ",") << values[i];
  return text.str();
}

int64_t ReadInt(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  archive.read(key, value);
  return value.toInt();
}

// 0 when the key is missing (a checkpoint from before the key existed).
int64_t ReadOptionalInt(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  return archive.try_read(key, value) ? value.toInt() : 0;
}

void WriteArchitecture(torch::serialize::OutputArchive& archive, const DdpgOptions& options) {
  archive.write("obs_dim", c10::IValue(static_cast<int64_t>(options.obs_dim)));
  archive.write("act_dim", c10::IValue(static_cast<int64_t>(options.act_dim)));
  archive.write("hidden_sizes", c10::IValue(ToInt64(options.hidden_sizes)));
  archive.write("act_low", c10::IValue(ToDouble(options.act_low)));
  archive.write("act_high", c10::IValue(ToDouble(options.act_high)));
}

int CriticCount(Algorithm algorithm) { return algorithm == Algorithm::kTd3 ? 2 : 1; }

// Checkpoints only: a policy file holds an actor, which is the same network for every algorithm.
void WriteAlgorithm(torch::serialize::OutputArchive& archive, const DdpgOptions& options) {
  archive.write("algorithm", c10::IValue(std::string(ConfigEnumName(options.algorithm))));
  archive.write("critics", c10::IValue(static_cast<int64_t>(CriticCount(options.algorithm))));
  if (options.algorithm == Algorithm::kD4pg) {
    archive.write("atoms", c10::IValue(static_cast<int64_t>(options.atoms)));
    archive.write("v_min", c10::IValue(options.v_min));
    archive.write("v_max", c10::IValue(options.v_max));
  }
}

enum class FileKind { kCheckpoint, kPolicy };

// The sizes that decide whether a checkpoint's tensors fit this agent, and for a checkpoint the algorithm
// whose networks and optimizer state it holds. Module::load replaces tensors wholesale instead of checking
// their shapes, so this comparison is the only thing that catches a checkpoint of other network sizes
// before it silently changes the architecture.
Status CheckArchitecture(torch::serialize::InputArchive& archive, const DdpgOptions& options, const std::string& path,
                         FileKind kind) {
  c10::IValue hidden, low, high;
  archive.read("hidden_sizes", hidden);
  archive.read("act_low", low);
  archive.read("act_high", high);
  const int64_t obs_dim = ReadInt(archive, "obs_dim");
  const int64_t act_dim = ReadInt(archive, "act_dim");
  std::string differences;
  auto compare = [&](const std::string& name, const std::string& saved, const std::string& configured) {
    if (saved == configured) return;
    differences += (differences.empty() ? "" : "; ") + name + " is " + saved + " in the file but " + configured +
                   " in the configuration";
  };
  if (kind == FileKind::kCheckpoint) {
    // Checkpoints from before TD3 hold one DDPG critic and no algorithm key.
    c10::IValue algorithm;
    compare("learner.algorithm", archive.try_read("algorithm", algorithm) ? algorithm.toStringRef() : "ddpg",
            std::string(ConfigEnumName(options.algorithm)));
    c10::IValue critics;
    compare("critics", std::to_string(archive.try_read("critics", critics) ? critics.toInt() : 1),
            std::to_string(CriticCount(options.algorithm)));
    // The support: another number of atoms changes the critics' output layers, another range the meaning
    // of every atom, so the learned distributions would no longer fit either.
    c10::IValue atoms, v_min, v_max;
    if (options.algorithm == Algorithm::kD4pg && archive.try_read("atoms", atoms)) {
      archive.read("v_min", v_min);
      archive.read("v_max", v_max);
      compare("learner.atoms", std::to_string(atoms.toInt()), std::to_string(options.atoms));
      compare("learner.v_min", FormatConfigValue(v_min.toDouble()), FormatConfigValue(options.v_min));
      compare("learner.v_max", FormatConfigValue(v_max.toDouble()), FormatConfigValue(options.v_max));
    }
  }
  compare("obs_dim", std::to_string(obs_dim), std::to_string(options.obs_dim));
  compare("act_dim", std::to_string(act_dim), std::to_string(options.act_dim));
  compare("hidden_sizes", Join(hidden.toIntVector()), Join(ToInt64(options.hidden_sizes)));
  compare("act_low", Join(low.toDoubleVector()), Join(ToDouble(options.act_low)));
  compare("act_high", Join(high.toDoubleVector()), Join(ToDouble(options.act_high)));
  if (differences.empty()) return Status::Ok();
  return InvalidArgument(path + " does not fit this agent: " + differences);
}

}  // namespace

struct DdpgAgent::Impl {
  // The networks draw their initial weights in this order: actor, critic, target actor, target critic, as
  // DDPG always did (one seed gives the same DDPG agent as before TD3 existed), then TD3's twin and its target.
  explicit Impl(const DdpgOptions& opts)
      : options(opts),
        td3(opts.algorithm == Algorithm::kTd3),
        d4pg(opts.algorithm == Algorithm::kD4pg),
        device(opts.device == Device::kCuda ? torch::kCUDA : torch::kCPU),
        actor(NewActor()),
        critic(NewCritic()),
        target_actor(NewActor()),
        target_critic(NewCritic()),
        twin_critic(td3 ? NewCritic() : Critic(nullptr)),
        target_twin_critic(td3 ? NewCritic() : Critic(nullptr)),
        actor_values(actor->parameters()),
        critic_values(CriticParameters()),
        target_actor_values(target_actor->parameters()),
        target_critic_values(TargetCriticParameters()),
        actor_optimizer(actor_values, opts.actor_lr),
        critic_optimizer(critic_values, opts.critic_lr),
        act_low(BoundTensor(opts.act_low)),
        act_high(BoundTensor(opts.act_high)),
        act_half_range((act_high - act_low) / 2.0),
        support(d4pg ? CategoricalSupport(opts.atoms, opts.v_min, opts.v_max, device) : torch::Tensor()) {
    CopyParameters(*target_actor, *actor);
    CopyParameters(*target_critic, *critic);
    if (td3) CopyParameters(*target_twin_critic, *twin_critic);
  }

  Actor NewActor() const {
    Actor actor(options.obs_dim, options.act_dim, options.hidden_sizes, options.act_low, options.act_high);
    actor->set_hidden_type(HiddenType());
    return OnDevice(actor, device);
  }
  // D4PG's critics output a logit per atom of the return distribution.
  Critic NewCritic() const {
    Critic critic(options.obs_dim, options.act_dim, options.hidden_sizes, d4pg ? options.atoms : 1);
    critic->set_hidden_type(HiddenType());
    return OnDevice(critic, device);
  }
  torch::ScalarType HiddenType() const {
    return options.precision == Precision::kBf16 ? torch::kBFloat16 : torch::kFloat32;
  }

  // Q from a critic's output: the output itself, or D4PG's expected value of the distribution.
  torch::Tensor Value(const torch::Tensor& critic_output) const {
    return d4pg ? ExpectedValue(critic_output, support) : critic_output;
  }
  // [1, act_dim]: broadcasts over a batch of actions.
  torch::Tensor BoundTensor(const std::vector<float>& bound) const {
    return ToTensor(bound, 1, static_cast<int64_t>(bound.size()), device);
  }

  // One optimizer for both of TD3's critics, stepping on the sum of their losses (as the TD3 authors do).
  std::vector<torch::Tensor> CriticParameters() const {
    std::vector<torch::Tensor> parameters = critic->parameters();
    if (td3) {
      for (const torch::Tensor& parameter : twin_critic->parameters()) parameters.push_back(parameter);
    }
    return parameters;
  }
  // The target critics' parameters in the order of CriticParameters.
  std::vector<torch::Tensor> TargetCriticParameters() const {
    std::vector<torch::Tensor> parameters = target_critic->parameters();
    if (td3) {
      for (const torch::Tensor& parameter : target_twin_critic->parameters()) parameters.push_back(parameter);
    }
    return parameters;
  }

  // Puts each network's parameters into flat storage again, after Module::load gave them storage of their own.
  void BindFlatParameters() {
    actor_values = FlatParameters(actor->parameters());
    critic_values = FlatParameters(CriticParameters());
    target_actor_values = FlatParameters(target_actor->parameters());
    target_critic_values = FlatParameters(TargetCriticParameters());
  }

  // The online and target network of critic `index`; null holders for an index out of range.
  std::pair<Critic, Critic> CriticPair(int index) const {
    if (index == 0) return {critic, target_critic};
    if (index == 1 && td3) return {twin_critic, target_twin_critic};
    return {Critic(nullptr), Critic(nullptr)};
  }

  Status CheckBatch(const protocol::TransitionBatch& batch, const std::vector<float>& importance_weights) const {
    if (!importance_weights.empty() && importance_weights.size() != batch.size()) {
      return InvalidArgument("batch of " + std::to_string(batch.size()) + " transitions has " +
                             std::to_string(importance_weights.size()) + " importance weights");
    }
    if (batch.obs_dim != static_cast<uint32_t>(options.obs_dim) ||
        batch.act_dim != static_cast<uint32_t>(options.act_dim)) {
      return InvalidArgument("batch has obs_dim " + std::to_string(batch.obs_dim) + ", act_dim " +
                             std::to_string(batch.act_dim) + ", the agent " + std::to_string(options.obs_dim) + ", " +
                             std::to_string(options.act_dim));
    }
    if (batch.size() == 0) return InvalidArgument("batch is empty");
    return protocol::ValidateBatch(batch);
  }

  // The critics' regression loss: the plain mean squared error, or weighted by importance weights [n, 1].
  static torch::Tensor CriticLoss(const torch::Tensor& q, const torch::Tensor& y, const torch::Tensor& weights) {
    if (!weights.defined()) return torch::mse_loss(q, y);
    return (weights * (q - y).square()).mean();
  }

  // What a critic step trains on and reports, all computed before the step: the loss to minimise, each
  // critic's part of it (TD3: the sum of two, whose mean is reported), the online critic's Q(s, a) [n, 1],
  // and with importance weights the priority per sample [n, 1].
  struct CriticTerms {
    torch::Tensor loss;
    std::vector<torch::Tensor> critic_losses;
    torch::Tensor q, priorities;
  };

  // DDPG and TD3: regression onto y = r + discount * Q'(s', a').
  CriticTerms ValueCriticTerms(const torch::Tensor& observations, const torch::Tensor& actions,
                               const torch::Tensor& rewards, const torch::Tensor& discounts,
                               const torch::Tensor& next_observations, const torch::Tensor& weights) {
    torch::Tensor y;
    {
      torch::NoGradGuard no_grad;
      if (td3) {
        const auto next_actions = SmoothedTargetActions(next_observations);
        y = rewards + discounts * torch::minimum(target_critic->forward(next_observations, next_actions),
                                                 target_twin_critic->forward(next_observations, next_actions));
      } else {
        y = rewards + discounts * target_critic->forward(next_observations, target_actor->forward(next_observations));
      }
    }
    CriticTerms terms;
    terms.q = critic->forward(observations, actions);
    terms.loss = CriticLoss(terms.q, y, weights);
    terms.critic_losses = {terms.loss};
    torch::Tensor twin_q;
    if (td3) {
      twin_q = twin_critic->forward(observations, actions);
      terms.critic_losses.push_back(CriticLoss(twin_q, y, weights));
      terms.loss = terms.critic_losses[0] + terms.critic_losses[1];
    }
    if (weights.defined()) {
      torch::NoGradGuard no_grad;
      terms.priorities = (terms.q - y).abs();
      if (td3) terms.priorities = (terms.priorities + (twin_q - y).abs()) / 2.0;
    }
    return terms;
  }

  // D4PG: the cross-entropy between the projected target distribution of the target networks at
  // (s', mu'(s')) and the online critic's distribution at (s, a), per sample; its mean (weighted by the
  // importance weights, which then take the place of a uniform 1/n) is the loss, and each sample's own
  // cross-entropy its priority.
  CriticTerms DistributionalCriticTerms(const torch::Tensor& observations, const torch::Tensor& actions,
                                        const torch::Tensor& rewards, const torch::Tensor& discounts,
                                        const torch::Tensor& next_observations, const torch::Tensor& weights) {
    torch::Tensor target_distribution;
    {
      torch::NoGradGuard no_grad;
      const auto next_logits = target_critic->forward(next_observations, target_actor->forward(next_observations));
      target_distribution =
          ProjectCategorical(torch::softmax(next_logits, 1), rewards, discounts, options.v_min, options.v_max);
    }
    const auto logits = critic->forward(observations, actions);
    const auto cross_entropy = CategoricalCrossEntropy(target_distribution, logits).unsqueeze(1);  // [n, 1]
    CriticTerms terms;
    terms.loss = weights.defined() ? (weights * cross_entropy).mean() : cross_entropy.mean();
    terms.critic_losses = {terms.loss};
    terms.q = ExpectedValue(logits.detach(), support);
    if (weights.defined()) terms.priorities = cross_entropy.detach();
    return terms;
  }

  // The batch as tensors on the device: buffers kept from one update to the next and refilled in place
  // (a batch of another size reallocates them), so an update allocates nothing for its inputs; autograd
  // holds no reference to them once an update returns. rewards, discounts and weights are [n, 1] like the
  // critic's output: a flat [n] would broadcast against it to [n, n]. weights is undefined without
  // importance weights.
  struct BatchTensors {
    torch::Tensor observations, actions, rewards, discounts, next_observations, weights;
  };

  void Fill(torch::Tensor& buffer, const std::vector<float>& values, int64_t rows, int64_t cols) const {
    if (!buffer.defined() || buffer.size(0) != rows) {
      buffer = torch::empty({rows, cols}, torch::TensorOptions().dtype(torch::kFloat32).device(device));
    }
    // from_blob wants a mutable pointer, but the copy only reads through it.
    buffer.copy_(torch::from_blob(const_cast<float*>(values.data()), {rows, cols}, torch::kFloat32));
  }

  const BatchTensors& FillBatch(const protocol::TransitionBatch& batch, const std::vector<float>& importance_weights) {
    RECORD_USER_SCOPE("ddpg::batch_to_tensors");
    const auto n = static_cast<int64_t>(batch.size());
    Fill(batch_tensors.observations, batch.observations, n, options.obs_dim);
    Fill(batch_tensors.actions, batch.actions, n, options.act_dim);
    Fill(batch_tensors.rewards, batch.rewards, n, 1);
    Fill(batch_tensors.discounts, batch.discounts, n, 1);
    Fill(batch_tensors.next_observations, batch.next_observations, n, options.obs_dim);
    if (importance_weights.empty()) {
      batch_tensors.weights = torch::Tensor();
    } else {
      Fill(batch_tensors.weights, importance_weights, n, 1);
    }
    return batch_tensors;
  }

  // The critics' step; false, leaving the critics as they were, when its loss or a gradient was not finite.
  bool CriticStep(const BatchTensors& batch, UpdateResult& result) {
    RECORD_USER_SCOPE("ddpg::critic_step");
    CriticTerms terms;
    {
      RECORD_USER_SCOPE("ddpg::critic_forward");
      terms = d4pg ? DistributionalCriticTerms(batch.observations, batch.actions, batch.rewards, batch.discounts,
                                               batch.next_observations, batch.weights)
                   : ValueCriticTerms(batch.observations, batch.actions, batch.rewards, batch.discounts,
                                      batch.next_observations, batch.weights);
    }
    {
      RECORD_USER_SCOPE("ddpg::critic_backward");
      critic_values.ZeroGradients();
      terms.loss.backward();
    }
    if (!critic_values.GradientsAndLossFinite(terms.loss)) return false;
    {
      RECORD_USER_SCOPE("ddpg::critic_adam");
      critic_optimizer.Step(critic_values);
    }
    ++critic_updates;
    double loss_sum = 0.0;
    for (const torch::Tensor& loss : terms.critic_losses) loss_sum += loss.item<double>();
    result.critic_loss = loss_sum / static_cast<double>(terms.critic_losses.size());
    result.q_mean = terms.q.mean().item<double>();
    result.critic_updated = true;
    if (batch.weights.defined()) result.priorities = ToVector(terms.priorities);
    return true;
  }

  // What the actor minimises: -mean Q(s, mu(s)) of the (first) online critic, its expected value for D4PG; with
  // bc_alpha, TD3+BC's loss (see ddpg.h) on the batch's logged actions.
  torch::Tensor ActorLoss(const torch::Tensor& observations, const torch::Tensor& logged_actions) {
    const auto policy_actions = actor->forward(observations);
    const auto q = Value(critic->forward(observations, policy_actions));
    if (options.bc_alpha == 0.0) return -q.mean();
    const auto lambda = options.bc_alpha / q.abs().mean().detach();
    const auto cloning = ((policy_actions - logged_actions) / act_half_range).square().mean();
    return -lambda * q.mean() + cloning;
  }

  // The actor's step; false, leaving the actor as it was, when its loss or a gradient was not finite.
  bool ActorStep(const torch::Tensor& observations, const torch::Tensor& logged_actions, UpdateResult& result) {
    RECORD_USER_SCOPE("ddpg::actor_step");
    torch::Tensor actor_loss;
    {
      RECORD_USER_SCOPE("ddpg::actor_forward");
      actor_loss = ActorLoss(observations, logged_actions);
    }
    // The actor's gradient flows through the critic. Restricting the pass to the actor's parameters leaves
    // no gradients on the critic and skips computing its weight gradients (a matmul per layer).
    {
      RECORD_USER_SCOPE("ddpg::actor_backward");
      actor_values.ZeroGradients();
      actor_loss.backward({}, {}, /*create_graph=*/false, actor_values.parameters());
    }
    if (!actor_values.GradientsAndLossFinite(actor_loss)) return false;
    {
      RECORD_USER_SCOPE("ddpg::actor_adam");
      actor_optimizer.Step(actor_values);
    }
    result.actor_loss = actor_loss.item<double>();
    result.actor_updated = true;
    return true;
  }

  void UpdateTargets() {
    RECORD_USER_SCOPE("ddpg::polyak");
    PolyakUpdate(target_actor_values, actor_values, options.tau);
    PolyakUpdate(target_critic_values, critic_values, options.tau);
  }

  UpdateResult Update(const protocol::TransitionBatch& batch, const std::vector<float>& importance_weights) {
    const BatchTensors& tensors = FillBatch(batch, importance_weights);
    UpdateResult result = NotUpdated();
    if (!CriticStep(tensors, result)) {
      result.skipped_non_finite = true;
      return result;
    }
    if (td3 && critic_updates % static_cast<uint64_t>(options.policy_delay) != 0) return result;
    if (!ActorStep(tensors.observations, tensors.actions, result)) {
      result.skipped_non_finite = true;
      return result;
    }
    UpdateTargets();
    return result;
  }

  // TD3's a' = clip(mu'(s') + clip(eps, -c, c), act_low, act_high) with eps ~ N(0, policy_noise^2) and
  // c = noise_clip, both scaled by the action half-range. Without gradients: only the targets use it.
  torch::Tensor SmoothedTargetActions(const torch::Tensor& next_observations) {
    torch::NoGradGuard no_grad;
    const auto mu = target_actor->forward(next_observations);
    const auto noise = (torch::randn_like(mu) * options.policy_noise).clamp(-options.noise_clip, options.noise_clip);
    return torch::minimum(torch::maximum(mu + noise * act_half_range, act_low), act_high);
  }

  // Rows of `observations`, or -1 when the vector does not hold whole rows.
  int64_t Rows(const std::vector<float>& observations) const {
    if (observations.size() % options.obs_dim != 0) return -1;
    return static_cast<int64_t>(observations.size() / options.obs_dim);
  }

  std::vector<float> Mu(Actor& net, const std::vector<float>& observations) {
    const int64_t n = Rows(observations);
    if (n < 0) return {};
    torch::NoGradGuard no_grad;
    return ToVector(net->forward(ToTensor(observations, n, options.obs_dim, device)));
  }

  // The critic's output for each row: Q(s, a) (D4PG: the logits of its distribution).
  torch::Tensor CriticOutput(Critic& net, const std::vector<float>& observations, const std::vector<float>& actions) {
    const int64_t n = Rows(observations);
    if (n < 0 || actions.size() != static_cast<size_t>(n * options.act_dim)) return {};
    torch::NoGradGuard no_grad;
    return net->forward(ToTensor(observations, n, options.obs_dim, device),
                        ToTensor(actions, n, options.act_dim, device));
  }

  std::vector<float> Q(Critic& net, const std::vector<float>& observations, const std::vector<float>& actions) {
    const torch::Tensor output = CriticOutput(net, observations, actions);
    return output.defined() ? ToVector(Value(output)) : std::vector<float>{};
  }

  std::vector<float> Probabilities(Critic& net, const std::vector<float>& observations,
                                   const std::vector<float>& actions) {
    if (!d4pg) return {};
    const torch::Tensor logits = CriticOutput(net, observations, actions);
    return logits.defined() ? ToVector(torch::softmax(logits, 1)) : std::vector<float>{};
  }

  DdpgOptions options;
  bool td3;
  bool d4pg;
  torch::Device device;
  Actor actor;
  Critic critic;
  Actor target_actor;
  Critic target_critic;
  Critic twin_critic;         // TD3 only
  Critic target_twin_critic;  // TD3 only
  // The networks' parameters in flat storage (TD3: both critics in critic_values and target_critic_values).
  FlatParameters actor_values, critic_values, target_actor_values, target_critic_values;
  FlatAdam actor_optimizer;
  FlatAdam critic_optimizer;
  torch::Tensor act_low, act_high, act_half_range;  // [1, act_dim]
  torch::Tensor support;                            // D4PG only: the atoms' returns [atoms]
  BatchTensors batch_tensors;
  // TD3's delay counts these; restored from checkpoints, so a resumed run keeps its phase.
  uint64_t critic_updates = 0;
};

DdpgAgent::DdpgAgent(const DdpgOptions& options) {
  // Seeded here, right before the networks draw their initial weights, so one seed gives one agent.
  torch::manual_seed(options.seed);
  impl_ = std::make_unique<Impl>(options);
}

DdpgAgent::~DdpgAgent() = default;

// A batch whose dimensions or array lengths do not match this agent is a programming error of the caller:
// protocol::Decode has already checked every array against the batch's own obs_dim / act_dim (the same
// check as protocol::ValidateBatch), and the caller compares those with options() before calling Update.
// Update has no Status to report a mismatch with, so it takes no step and returns NaN losses, which show
// up in the learner's log and metrics, rather than reading past the batch's arrays. A LibTorch failure mid-step (e.g.
// device memory) also returns NaN losses; that step may then be partly applied.
UpdateResult DdpgAgent::Update(const protocol::TransitionBatch& batch, const std::vector<float>& importance_weights) {
  if (Status fits = impl_->CheckBatch(batch, importance_weights); !fits.ok()) {
    spdlog::error("DdpgAgent::Update skipped a batch: {}", fits.message());
    return NotUpdated();
  }
  try {
    return impl_->Update(batch, importance_weights);
  } catch (const c10::Error& e) {
    spdlog::error("DdpgAgent::Update failed: {}", ErrorText(e));
  } catch (const std::exception& e) {
    spdlog::error("DdpgAgent::Update failed: {}", e.what());
  }
  return NotUpdated();
}

// Inputs that do not hold whole rows give an empty result rather than a read past their end.
std::vector<float> DdpgAgent::Act(const std::vector<float>& observations) const {
  return impl_->Mu(impl_->actor, observations);
}

std::vector<float> DdpgAgent::TargetAct(const std::vector<float>& observations) const {
  return impl_->Mu(impl_->target_actor, observations);
}

std::vector<float> DdpgAgent::TargetPolicyActions(const std::vector<float>& observations) const {
  if (!impl_->td3) return TargetAct(observations);
  const int64_t n = impl_->Rows(observations);
  if (n < 0) return {};
  return ToVector(impl_->SmoothedTargetActions(ToTensor(observations, n, impl_->options.obs_dim, impl_->device)));
}

int DdpgAgent::critic_count() const { return CriticCount(impl_->options.algorithm); }

std::vector<float> DdpgAgent::QValues(const std::vector<float>& observations, const std::vector<float>& actions,
                                      int critic) const {
  Critic online = impl_->CriticPair(critic).first;
  return online ? impl_->Q(online, observations, actions) : std::vector<float>{};
}

std::vector<float> DdpgAgent::TargetQValues(const std::vector<float>& observations, const std::vector<float>& actions,
                                            int critic) const {
  Critic target = impl_->CriticPair(critic).second;
  return target ? impl_->Q(target, observations, actions) : std::vector<float>{};
}

std::vector<float> DdpgAgent::QDistribution(const std::vector<float>& observations,
                                            const std::vector<float>& actions) const {
  return impl_->Probabilities(impl_->critic, observations, actions);
}

std::vector<float> DdpgAgent::TargetQDistribution(const std::vector<float>& observations,
                                                  const std::vector<float>& actions) const {
  return impl_->Probabilities(impl_->target_critic, observations, actions);
}

std::vector<float> DdpgAgent::ActorParameters() const { return FlattenParameters(*impl_->actor); }
std::vector<float> DdpgAgent::TargetActorParameters() const { return FlattenParameters(*impl_->target_actor); }

std::vector<float> DdpgAgent::CriticParameters(int critic) const {
  Critic online = impl_->CriticPair(critic).first;
  return online ? FlattenParameters(*online) : std::vector<float>{};
}

std::vector<float> DdpgAgent::TargetCriticParameters(int critic) const {
  Critic target = impl_->CriticPair(critic).second;
  return target ? FlattenParameters(*target) : std::vector<float>{};
}

Status DdpgAgent::SetParameters(const std::vector<float>& actor, const std::vector<float>& critic) {
  const size_t actor_size = ActorParameters().size();
  const size_t critic_size = CriticParameters().size();
  if (actor.size() != actor_size || critic.size() != critic_size) {
    return InvalidArgument("SetParameters got " + std::to_string(actor.size()) + " actor and " +
                           std::to_string(critic.size()) + " critic parameters; the networks have " +
                           std::to_string(actor_size) + " and " + std::to_string(critic_size));
  }
  for (torch::nn::Module* module : {impl_->actor.ptr().get(), impl_->target_actor.ptr().get()}) {
    if (Status loaded = LoadFlatParameters(*module, actor); !loaded.ok()) return loaded;
  }
  for (int index = 0; index < critic_count(); ++index) {
    if (Status loaded = SetCriticParameters(index, critic); !loaded.ok()) return loaded;
  }
  return Status::Ok();
}

Status DdpgAgent::SetCriticParameters(int critic, const std::vector<float>& parameters) {
  auto [online, target] = impl_->CriticPair(critic);
  if (!online) {
    return InvalidArgument("SetCriticParameters: critic " + std::to_string(critic) +
                           " does not exist; this agent has " + std::to_string(critic_count()));
  }
  // LoadFlatParameters checks the size before it writes, so a mismatch leaves both networks as they were.
  for (torch::nn::Module* module : {online.ptr().get(), target.ptr().get()}) {
    if (Status loaded = LoadFlatParameters(*module, parameters); !loaded.ok()) return loaded;
  }
  return Status::Ok();
}

Status DdpgAgent::SaveCheckpoint(const std::string& path, const TrainingCounters& counters) const {
  const std::string temporary = path + ".tmp";
  std::string failure;
  try {
    torch::serialize::OutputArchive archive;
    WriteArchitecture(archive, impl_->options);
    WriteAlgorithm(archive, impl_->options);
    archive.write("critic_updates", c10::IValue(static_cast<int64_t>(impl_->critic_updates)));
    archive.write("updates", c10::IValue(static_cast<int64_t>(counters.updates)));
    archive.write("env_steps", c10::IValue(static_cast<int64_t>(counters.env_steps)));
    archive.write("run_id", c10::IValue(static_cast<int64_t>(counters.run_id)));
    archive.write("replay_instance", c10::IValue(static_cast<int64_t>(counters.replay_instance)));
    archive.write("replay_run_inserted", c10::IValue(static_cast<int64_t>(counters.replay_run_inserted)));
    auto write_module = [&](const std::string& key, const torch::nn::Module& module) {
      torch::serialize::OutputArchive nested;
      module.save(nested);
      archive.write(key, nested);
    };
    write_module("actor", *impl_->actor);
    write_module("critic", *impl_->critic);
    write_module("target_actor", *impl_->target_actor);
    write_module("target_critic", *impl_->target_critic);
    if (impl_->td3) {
      write_module("twin_critic", *impl_->twin_critic);
      write_module("target_twin_critic", *impl_->target_twin_critic);
    }
    auto write_optimizer = [&](const std::string& key, const FlatAdam& optimizer, const FlatParameters& parameters) {
      torch::serialize::OutputArchive nested;
      optimizer.Save(parameters, nested);
      archive.write(key, nested);
    };
    write_optimizer("actor_optimizer", impl_->actor_optimizer, impl_->actor_values);
    write_optimizer("critic_optimizer", impl_->critic_optimizer, impl_->critic_values);
    archive.save_to(temporary);
    std::filesystem::rename(temporary, path);
    return Status::Ok();
  } catch (const c10::Error& e) {
    failure = ErrorText(e);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  std::error_code ignored;
  std::filesystem::remove(temporary, ignored);
  return Internal("could not write checkpoint " + path + ": " + failure);
}

StatusOr<TrainingCounters> DdpgAgent::LoadCheckpoint(const std::string& path) {
  std::error_code error;
  // Only a definite "no such file" is NotFound; other trouble (permissions) surfaces from the load below.
  if (!std::filesystem::exists(path, error) && !error) {
    return NotFound("checkpoint " + path + " does not exist; to start a fresh run, omit --resume");
  }
  std::string failure;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, impl_->device);
    if (Status fits = CheckArchitecture(archive, impl_->options, path, FileKind::kCheckpoint); !fits.ok()) {
      return fits;
    }

    // Everything goes into a fresh agent first, so a checkpoint that fails half-way leaves this one as it was.
    auto fresh = std::make_unique<Impl>(impl_->options);
    auto read_module = [&](const std::string& key, torch::nn::Module& module) {
      torch::serialize::InputArchive nested;
      archive.read(key, nested);
      module.load(nested);
    };
    read_module("actor", *fresh->actor);
    read_module("critic", *fresh->critic);
    read_module("target_actor", *fresh->target_actor);
    read_module("target_critic", *fresh->target_critic);
    if (fresh->td3) {
      read_module("twin_critic", *fresh->twin_critic);
      read_module("target_twin_critic", *fresh->target_twin_critic);
    }
    // Checkpoints from before TD3 did not count critic updates; DDPG does not need the count.
    fresh->critic_updates = static_cast<uint64_t>(ReadOptionalInt(archive, "critic_updates"));
    // Module::load gave every parameter storage of its own; the optimizers' state is read in the order of
    // the parameters, into the flat storage. Only that state is restored: the learning rates stay the
    // configured ones, so a resumed run may change them.
    fresh->BindFlatParameters();
    auto read_optimizer = [&](const std::string& key, FlatAdam& optimizer, const FlatParameters& parameters) {
      torch::serialize::InputArchive nested;
      archive.read(key, nested);
      optimizer.Load(parameters, nested);
    };
    read_optimizer("actor_optimizer", fresh->actor_optimizer, fresh->actor_values);
    read_optimizer("critic_optimizer", fresh->critic_optimizer, fresh->critic_values);
    TrainingCounters counters;
    counters.updates = static_cast<uint64_t>(ReadInt(archive, "updates"));
    counters.env_steps = static_cast<uint64_t>(ReadInt(archive, "env_steps"));
    counters.run_id = static_cast<uint64_t>(ReadOptionalInt(archive, "run_id"));
    counters.replay_instance = static_cast<uint64_t>(ReadOptionalInt(archive, "replay_instance"));
    counters.replay_run_inserted = static_cast<uint64_t>(ReadOptionalInt(archive, "replay_run_inserted"));
    impl_ = std::move(fresh);
    return counters;
  } catch (const c10::Error& e) {
    failure = ErrorText(e);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  return InvalidArgument("checkpoint " + path + " is corrupt or not a ddpg-cluster checkpoint: " + failure);
}

Status DdpgAgent::SavePolicy(const std::string& path, const std::vector<float>& actor_parameters, uint64_t version,
                             double eval_return) const {
  const DdpgOptions& options = impl_->options;
  Actor actor(options.obs_dim, options.act_dim, options.hidden_sizes, options.act_low, options.act_high);
  if (Status loaded = LoadFlatParameters(*actor, actor_parameters); !loaded.ok()) return loaded;
  const std::string temporary = path + ".tmp";
  std::string failure;
  try {
    torch::serialize::OutputArchive archive;
    WriteArchitecture(archive, options);
    archive.write("version", c10::IValue(static_cast<int64_t>(version)));
    archive.write("eval_return", c10::IValue(eval_return));
    torch::serialize::OutputArchive nested;
    actor->save(nested);
    archive.write("actor", nested);
    archive.save_to(temporary);
    std::filesystem::rename(temporary, path);
    return Status::Ok();
  } catch (const c10::Error& e) {
    failure = ErrorText(e);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  std::error_code ignored;
  std::filesystem::remove(temporary, ignored);
  return Internal("could not write policy " + path + ": " + failure);
}

StatusOr<PolicyFile> LoadPolicyFile(const std::string& path, const DdpgOptions& options) {
  if (!std::filesystem::exists(path)) return NotFound("policy file " + path + " does not exist");
  std::string failure;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, torch::kCPU);
    if (Status fits = CheckArchitecture(archive, options, path, FileKind::kPolicy); !fits.ok()) return fits;
    Actor actor(options.obs_dim, options.act_dim, options.hidden_sizes, options.act_low, options.act_high);
    torch::serialize::InputArchive nested;
    archive.read("actor", nested);
    actor->load(nested);
    c10::IValue eval_return;
    archive.read("eval_return", eval_return);
    return PolicyFile{static_cast<uint64_t>(ReadInt(archive, "version")), eval_return.toDouble(),
                      FlattenParameters(*actor)};
  } catch (const c10::Error& e) {
    failure = ErrorText(e);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  return InvalidArgument("policy file " + path + " is corrupt or not a ddpg-cluster policy: " + failure);
}

const DdpgOptions& DdpgAgent::options() const { return impl_->options; }

Status CheckPrecisionSupport(const DdpgOptions& options) {
  if (options.precision == Precision::kFp32) return Status::Ok();
  if (options.device != Device::kCpu) {
    return InvalidArgument("learner.precision = bf16 is implemented for learner.device = cpu only; use fp32");
  }
  if (!__builtin_cpu_supports("avx512bf16")) {
    return InvalidArgument(
        "learner.precision = bf16 needs a CPU with AVX512_BF16 (lscpu's flag avx512_bf16), which this one lacks: "
        "LibTorch would emulate the bfloat16 products, far slower than fp32; use learner.precision = fp32");
  }
  return Status::Ok();
}

}  // namespace ddpg
