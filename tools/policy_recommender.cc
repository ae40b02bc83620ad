#include "tools/policy_recommender.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "envs/recsys/item_key.h"
#include "envs/recsys/ranking_metrics.h"

namespace ddpg::recsys {
namespace {

constexpr float kUnrankable = -std::numeric_limits<float>::infinity();

}  // namespace

StatusOr<Rerank> ParseRerank(const std::string& name) {
  if (name == "none") return Rerank::kNone;
  if (name == "critic") return Rerank::kCritic;
  return InvalidArgument("--rerank '" + name + "': expected none (k · a) or critic (Wolpertinger)");
}

StatusOr<std::unique_ptr<PolicyRecommender>> PolicyRecommender::Create(std::shared_ptr<const MovieLensData> data,
                                                                       std::unique_ptr<DdpgAgent> agent,
                                                                       const PolicyRecommenderOptions& options) {
  const int d = data->dim();
  const int key_dim = data->key_dim();
  const DdpgOptions& networks = agent->options();
  if (networks.obs_dim != 3 * d || networks.act_dim != key_dim) {
    return InvalidArgument("the checkpoint's networks take observations of " + std::to_string(networks.obs_dim) +
                           " and actions of " + std::to_string(networks.act_dim) + " numbers; factors of dimension " +
                           std::to_string(d) + " (movielens.embeddings = " + data->options().embeddings + ") need " +
                           std::to_string(3 * d) + " and " + std::to_string(key_dim) +
                           " (the item key [q, b]): was the run trained on these embeddings, and after actions "
                           "gained the item bias (runs before it had actions of " +
                           std::to_string(d) + ")?");
  }
  if (options.candidates == 0) return InvalidArgument("the number of re-ranked candidates must be at least 1");

  std::unique_ptr<PolicyRecommender> recommender(new PolicyRecommender());
  recommender->options_ = options;
  for (int64_t row = 0; row < data->num_items(); ++row) recommender->item_row_.emplace(data->ItemId(row), row);
  if (options.rerank == Rerank::kCritic) {
    ItemEmbeddings embeddings;
    embeddings.dim = static_cast<size_t>(key_dim);
    embeddings.values = ItemKeys(data->embeddings());
    StatusOr<std::unique_ptr<ItemIndex>> index = MakeItemIndex(options.index, std::move(embeddings));
    if (!index.ok()) return index.status();
    recommender->index_ = std::move(*index);
  }

  // Every user's state, then all actions in one batch.
  std::vector<float> states(data->users().size() * 3 * d);
  std::vector<int64_t> history;
  for (size_t i = 0; i < data->users().size(); ++i) {
    const UserLog& log = data->users()[i];
    data->StateAfter(log, log.part, history, states.data() + i * 3 * d);
  }
  const std::vector<float> actions = agent->Act(states);
  for (size_t i = 0; i < data->users().size(); ++i) {
    UserPolicy& user = recommender->users_[data->users()[i].user];
    user.state.assign(states.begin() + i * 3 * d, states.begin() + (i + 1) * 3 * d);
    user.action.assign(actions.begin() + i * key_dim, actions.begin() + (i + 1) * key_dim);
    user.log = i;
  }
  recommender->data_ = std::move(data);
  recommender->agent_ = std::move(agent);
  return recommender;
}

void PolicyRecommender::ScoreHeldOut(int64_t user, const std::vector<int64_t>& items,
                                     std::vector<float>& scores) const {
  Score(user, items, /*candidates_from_index=*/false, scores);
}

void PolicyRecommender::ScoreCatalogue(int64_t user, const std::vector<int64_t>& items,
                                       std::vector<float>& scores) const {
  Score(user, items, /*candidates_from_index=*/true, scores);
}

void PolicyRecommender::Score(int64_t user, const std::vector<int64_t>& items, bool candidates_from_index,
                              std::vector<float>& scores) const {
  scores.assign(items.size(), kUnrankable);
  const auto found = users_.find(user);
  if (found == users_.end()) return;
  const std::vector<float>& action = found->second.action;
  const int d = data_->dim();
  const int key_dim = data_->key_dim();

  // k_i · a, and for each factor row its position in `items` (-1: not to be ranked).
  std::vector<float> dot(items.size(), kUnrankable);
  std::vector<int64_t> position_of_row(data_->num_items(), -1);
  size_t rankable = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto row = item_row_.find(items[i]);
    if (row == item_row_.end()) continue;
    position_of_row[row->second] = static_cast<int64_t>(i);
    ++rankable;
    const float* key = data_->ItemKey(row->second);
    float score = 0.0f;
    for (int j = 0; j < key_dim; ++j) score += key[j] * action[j];
    dot[i] = score;
  }
  if (options_.rerank == Rerank::kNone) {
    scores = std::move(dot);
    return;
  }

  // Positions of the candidates, best by k · a first.
  const size_t k = std::min(options_.candidates, rankable);
  std::vector<size_t> candidates;
  if (candidates_from_index) {
    const size_t excluded = static_cast<size_t>(data_->num_items()) - rankable;
    const std::vector<std::vector<ScoredItem>> nearest = index_->TopK(action.data(), 1, k + excluded);
    for (const ScoredItem& scored : nearest.front()) {
      if (candidates.size() == k) break;
      if (const int64_t position = position_of_row[scored.item]; position >= 0) candidates.push_back(position);
    }
  } else {
    std::vector<size_t> order(items.size());
    std::iota(order.begin(), order.end(), 0);
    const auto better = [&](size_t a, size_t b) { return dot[a] != dot[b] ? dot[a] > dot[b] : items[a] < items[b]; };
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), better);
    candidates.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
  }

  std::vector<float> observations, candidate_actions;
  observations.reserve(candidates.size() * 3 * d);
  candidate_actions.reserve(candidates.size() * key_dim);
  for (size_t position : candidates) {
    const std::vector<float>& state = found->second.state;
    observations.insert(observations.end(), state.begin(), state.end());
    const float* key = data_->ItemKey(item_row_.at(items[position]));
    candidate_actions.insert(candidate_actions.end(), key, key + key_dim);
  }
  const std::vector<float> values = agent_->QValues(observations, candidate_actions);

  // The final order: candidates by Q, then the rest by k · a; each item's score is minus its place in it.
  std::vector<size_t> by_value(candidates.size());
  std::iota(by_value.begin(), by_value.end(), 0);
  std::sort(by_value.begin(), by_value.end(), [&](size_t a, size_t b) {
    return values[a] != values[b] ? values[a] > values[b] : items[candidates[a]] < items[candidates[b]];
  });
  std::vector<char> is_candidate(items.size(), 0);
  for (size_t position : candidates) is_candidate[position] = 1;
  std::vector<size_t> rest;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!is_candidate[i]) rest.push_back(i);
  }
  std::sort(rest.begin(), rest.end(),
            [&](size_t a, size_t b) { return dot[a] != dot[b] ? dot[a] > dot[b] : items[a] < items[b]; });
  float place = 0.0f;
  for (size_t c : by_value) scores[candidates[c]] = -place++;
  for (size_t i : rest) scores[i] = dot[i] == kUnrankable ? kUnrankable : -place++;
}

std::vector<int64_t> PolicyRecommender::Recommend(int64_t user, size_t k) const {
  const auto found = users_.find(user);
  if (found == users_.end()) return {};
  std::vector<char> trained(data_->num_items(), 0);
  for (const LoggedRating& logged : data_->users()[found->second.log].part) trained[logged.item_row] = 1;
  std::vector<int64_t> items;
  for (int64_t row = 0; row < data_->num_items(); ++row) {
    if (!trained[row]) items.push_back(data_->ItemId(row));
  }
  std::vector<float> scores;
  ScoreCatalogue(user, items, scores);
  std::vector<int64_t> ranked = RankByScore(items, scores);
  ranked.resize(std::min(k, ranked.size()));
  return ranked;
}

}  // namespace ddpg::recsys
