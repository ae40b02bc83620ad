#include "envs/recsys/matrix_factorization.h"

#include <torch/torch.h>

#include "envs/recsys/factorization_file.h"

#include <cmath>
#include <cstdio>
#include <fstream>

namespace ddpg::recsys {
namespace {

std::vector<float> ToVector(const torch::Tensor& tensor) {
  const torch::Tensor contiguous = tensor.detach().contiguous();
  return std::vector<float>(contiguous.data_ptr<float>(), contiguous.data_ptr<float>() + contiguous.numel());
}

}  // namespace

StatusOr<Factorization> Factorization::Fit(const std::vector<Rating>& train, const FactorizationOptions& options) {
  if (train.empty()) return InvalidArgument("matrix factorization needs at least one training rating");
  if (options.dim < 1 || options.epochs < 1 || !(options.learning_rate > 0) || !(options.regularization >= 0)) {
    return InvalidArgument(
        "matrix factorization needs dim >= 1, epochs >= 1, learning_rate > 0 and "
        "regularization >= 0");
  }
  Factorization model;
  model.dim_ = options.dim;
  std::vector<int64_t> user_index, item_index;
  std::vector<float> targets;
  for (const Rating& rating : train) {
    if (model.user_row_.emplace(rating.user, static_cast<int64_t>(model.users_.size())).second) {
      model.users_.push_back(rating.user);
    }
    if (model.item_row_.emplace(rating.item, static_cast<int64_t>(model.items_.size())).second) {
      model.items_.push_back(rating.item);
    }
    user_index.push_back(model.user_row_.at(rating.user));
    item_index.push_back(model.item_row_.at(rating.item));
    targets.push_back(rating.rating);
  }

  const torch::Tensor users = torch::tensor(user_index);
  const torch::Tensor items = torch::tensor(item_index);
  const torch::Tensor y = torch::tensor(targets);
  const float mean = y.mean().item<float>();
  auto generator = at::detail::createCPUGenerator(options.seed);
  const auto num_users = static_cast<int64_t>(model.users_.size());
  const auto num_items = static_cast<int64_t>(model.items_.size());
  torch::Tensor p = (0.1 * torch::randn({num_users, options.dim}, generator)).requires_grad_();
  torch::Tensor q = (0.1 * torch::randn({num_items, options.dim}, generator)).requires_grad_();
  torch::Tensor user_bias = torch::zeros({num_users}).requires_grad_();
  torch::Tensor item_bias = torch::zeros({num_items}).requires_grad_();
  torch::optim::Adam optimizer({p, q, user_bias, item_bias}, torch::optim::AdamOptions(options.learning_rate));
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    const torch::Tensor pu = p.index_select(0, users);
    const torch::Tensor qi = q.index_select(0, items);
    const torch::Tensor bu = user_bias.index_select(0, users);
    const torch::Tensor bi = item_bias.index_select(0, items);
    const torch::Tensor prediction = mean + bu + bi + (pu * qi).sum(1);
    const torch::Tensor penalty = (pu.pow(2).sum(1) + qi.pow(2).sum(1) + bu.pow(2) + bi.pow(2)).mean();
    const torch::Tensor loss = (prediction - y).pow(2).mean() + options.regularization * penalty;
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }

  model.global_mean_ = mean;
  model.user_factors_ = ToVector(p);
  model.user_bias_ = ToVector(user_bias);
  model.item_bias_ = ToVector(item_bias);
  model.item_factors_ = {static_cast<size_t>(options.dim), ToVector(q)};
  return model;
}

int64_t Factorization::ItemRow(int64_t item) const {
  const auto it = item_row_.find(item);
  return it == item_row_.end() ? -1 : it->second;
}

const float* Factorization::UserFactors(int64_t user) const {
  const auto it = user_row_.find(user);
  return it == user_row_.end() ? nullptr : &user_factors_[static_cast<size_t>(it->second) * dim_];
}

float Factorization::Predict(int64_t user, int64_t item) const {
  float prediction = global_mean_;
  const auto user_it = user_row_.find(user);
  const int64_t row = ItemRow(item);
  if (user_it != user_row_.end()) prediction += user_bias_[static_cast<size_t>(user_it->second)];
  if (row >= 0) prediction += item_bias_[static_cast<size_t>(row)];
  if (user_it != user_row_.end() && row >= 0) {
    const float* pu = &user_factors_[static_cast<size_t>(user_it->second) * dim_];
    const float* qi = &item_factors_.values[static_cast<size_t>(row) * dim_];
    for (int d = 0; d < dim_; ++d) prediction += pu[d] * qi[d];
  }
  return prediction;
}

double Factorization::Rmse(const std::vector<Rating>& ratings) const {
  if (ratings.empty()) return 0.0;
  double sum = 0.0;
  for (const Rating& rating : ratings) {
    const double error = Predict(rating.user, rating.item) - rating.rating;
    sum += error * error;
  }
  return std::sqrt(sum / static_cast<double>(ratings.size()));
}

Status Factorization::Save(const std::string& path) const {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary);
    if (!file) return Unavailable("cannot write " + temporary);
    file.precision(9);  // enough digits for a float to read back exactly
    file << kFactorizationMagic << ' ' << kFactorizationFormatVersion << ' ' << dim_ << ' ' << global_mean_ << ' '
         << users_.size() << ' ' << items_.size() << '\n';
    const auto write_rows = [&](char kind, const std::vector<int64_t>& ids, const std::vector<float>& bias,
                                const std::vector<float>& factors) {
      for (size_t row = 0; row < ids.size(); ++row) {
        file << kind << ' ' << ids[row] << ' ' << bias[row];
        for (int d = 0; d < dim_; ++d) file << ' ' << factors[row * dim_ + d];
        file << '\n';
      }
    };
    write_rows('u', users_, user_bias_, user_factors_);
    write_rows('i', items_, item_bias_, item_factors_.values);
    if (!file.flush()) return Unavailable("cannot write " + temporary);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) return Unavailable("cannot rename " + temporary);
  return Status::Ok();
}

StatusOr<Factorization> Factorization::Load(const std::string& path) {
  StatusOr<FactorizationFile> file = LoadFactorizationFile(path);
  if (!file.ok()) return file.status();
  Factorization model;
  model.dim_ = file->dim;
  model.global_mean_ = file->global_mean;
  model.users_ = std::move(file->users);
  model.items_ = std::move(file->items);
  model.user_bias_ = std::move(file->user_bias);
  model.item_bias_ = std::move(file->item_bias);
  model.user_factors_ = std::move(file->user_factors);
  model.item_factors_.dim = static_cast<size_t>(file->dim);
  model.item_factors_.values = std::move(file->item_factors);
  for (size_t row = 0; row < model.users_.size(); ++row) model.user_row_.emplace(model.users_[row], row);
  for (size_t row = 0; row < model.items_.size(); ++row) model.item_row_.emplace(model.items_[row], row);
  return model;
}

}  // namespace ddpg::recsys
