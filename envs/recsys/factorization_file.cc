#include "envs/recsys/factorization_file.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <unordered_set>

namespace ddpg::recsys {

StatusOr<FactorizationFile> LoadFactorizationFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return NotFound("cannot open the factorization file " + path);
  FactorizationFile model;
  std::string line;
  size_t line_number = 1;
  const auto error = [&](const std::string& what) {
    return InvalidArgument(path + ":" + std::to_string(line_number) + ": " + what);
  };
  std::string magic;
  int version = 0;
  size_t num_users = 0, num_items = 0;
  if (!std::getline(file, line)) return error("empty file");
  std::istringstream header(line);
  if (!(header >> magic >> version >> model.dim >> model.global_mean >> num_users >> num_items) ||
      magic != kFactorizationMagic) {
    return error("not a factorization file (expected the header '" + std::string(kFactorizationMagic) +
                 " VERSION DIM MEAN USERS ITEMS')");
  }
  if (version != kFactorizationFormatVersion)
    return error("format version " + std::to_string(version) + ", expected 1");
  if (model.dim < 1) return error("dimension " + std::to_string(model.dim) + " is not positive");
  std::unordered_set<int64_t> seen_users, seen_items;
  while (std::getline(file, line)) {
    ++line_number;
    std::istringstream fields(line);
    char kind = 0;
    int64_t id = 0;
    float bias = 0;
    if (!(fields >> kind >> id >> bias) || (kind != 'u' && kind != 'i')) {
      return error("expected 'u' or 'i', an id, a bias and " + std::to_string(model.dim) + " factors");
    }
    const bool user = kind == 'u';
    std::vector<float>& factors = user ? model.user_factors : model.item_factors;
    for (int d = 0; d < model.dim; ++d) {
      float value = 0;
      if (!(fields >> value) || !std::isfinite(value))
        return error("factor " + std::to_string(d + 1) + " is missing or not finite");
      factors.push_back(value);
    }
    std::string extra;
    if (fields >> extra) return error("more than " + std::to_string(model.dim) + " factors");
    if (!(user ? seen_users : seen_items).insert(id).second)
      return error("id " + std::to_string(id) + " appears twice");
    (user ? model.users : model.items).push_back(id);
    (user ? model.user_bias : model.item_bias).push_back(bias);
  }
  if (model.users.size() != num_users || model.items.size() != num_items) {
    return InvalidArgument(path + ": the header announces " + std::to_string(num_users) + " users and " +
                           std::to_string(num_items) + " items, the file holds " + std::to_string(model.users.size()) +
                           " and " + std::to_string(model.items.size()) + " (truncated?)");
  }
  return model;
}

}  // namespace ddpg::recsys
