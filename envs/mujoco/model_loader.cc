#include "envs/mujoco/model_loader.h"

#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

namespace ddpg {

namespace {

struct TextFix {
  const char* model;
  const char* flawed;
  const char* fixed;
};

// Each entry replaces every occurrence of `flawed` in `model`'s file.
constexpr TextFix kTextFixes[] = {
    // walker2d: both feet are written pos="0.2/2 0 0.1". MuJoCo 2.2.2 rejects the attribute. The MuJoCo of
    // Gym's days did not evaluate the division: it read the leading 0.2 and left the other two coordinates
    // at 0, which is why Gymnasium's re-export of this model in local coordinates puts each foot frame at
    // world (0.2, 0, 0). The file uses coordinate="global", so joints and geoms carry their own world
    // positions and the body frame only decides where xpos of the feet is, not the dynamics.
    {"walker2d", "pos=\"0.2/2 0 0.1\"", "pos=\"0.2 0 0\""},
    // hopper: Gym's file has the same construct on the foot, pos="0.13/2 0 0.1"; dart-doc's copy replaced it
    // by the evaluated "0.065 0 0.1". Both become what Gym's MuJoCo read, as for walker2d above.
    {"hopper", "name=\"foot\" pos=\"0.13/2 0 0.1\"", "name=\"foot\" pos=\"0.13 0 0\""},
    {"hopper", "name=\"foot\" pos=\"0.065 0 0.1\"", "name=\"foot\" pos=\"0.13 0 0\""},
    // inverted_pendulum: dart-doc's copy sets ctrlrange="-3 3" only through the motor default and dropped
    // the ctrllimited="true" that Gym's actuator line carries; MuJoCo 2.2.2 refuses a ctrlrange without
    // ctrllimited. Gym's actuator is limited to [-3, 3], so the default states the limit explicitly.
    {"inverted_pendulum", "<motor ctrlrange=\"-3 3\"/>", "<motor ctrllimited=\"true\" ctrlrange=\"-3 3\"/>"},
};

void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path.string());
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Internal("error reading " + path.string());
  return contents.str();
}

// Inflates a gzip (or zlib) stream held in memory.
StatusOr<std::string> Gunzip(const std::string& compressed, const std::string& path) {
  z_stream stream{};
  // 15 + 32: the largest window, with the gzip or zlib header detected automatically.
  if (inflateInit2(&stream, 15 + 32) != Z_OK) return Internal("zlib inflateInit2 failed for " + path);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
  }
  // Z_BUF_ERROR (no progress possible) means the input ended before the stream did.
  const std::string message = stream.msg != nullptr ? stream.msg : "truncated stream";
  inflateEnd(&stream);
  if (rc != Z_STREAM_END) return InvalidArgument("malformed gzip file " + path + ": " + message);
  return out;
}

// mj_loadXML reads only from files or a virtual file system; the text never touches the disk again.
StatusOr<MujocoModelPtr> CompileXml(const std::string& xml, const std::string& name, const std::string& path) {
  // mjVFS holds fixed arrays of file names (about 2 MB): too big for the stack.
  auto vfs = std::make_unique<mjVFS>();
  mj_defaultVFS(vfs.get());
  const std::string file_name = name + ".xml";
  if (mj_makeEmptyFileVFS(vfs.get(), file_name.c_str(), static_cast<int>(xml.size())) != 0) {
    return Internal("cannot create MuJoCo virtual file for " + path);
  }
  const int index = mj_findFileVFS(vfs.get(), file_name.c_str());
  std::memcpy(vfs->filedata[index], xml.data(), xml.size());
  char error[1024] = "";
  mjModel* model = mj_loadXML(file_name.c_str(), vfs.get(), error, sizeof(error));
  mj_deleteVFS(vfs.get());
  if (model == nullptr) return InvalidArgument("malformed MuJoCo model " + path + ": " + error);
  return MujocoModelPtr(model, [](const mjModel* m) { mj_deleteModel(const_cast<mjModel*>(m)); });
}

}  // namespace

std::string MujocoModelDirectory() {
  const char* value = std::getenv(kMujocoModelsVariable);
  return value != nullptr && value[0] != '\0' ? value : kDefaultMujocoModelDirectory;
}

std::string FixMujocoModelText(const std::string& name, std::string xml) {
  for (const TextFix& fix : kTextFixes) {
    if (name == fix.model) ReplaceAll(xml, fix.flawed, fix.fixed);
  }
  return xml;
}

StatusOr<MujocoModelPtr> LoadMujocoModel(const std::string& directory, const std::string& name) {
  const std::filesystem::path plain = std::filesystem::path(directory) / (name + ".xml");
  const std::filesystem::path gzipped = std::filesystem::path(directory) / (name + ".xml.gz");
  std::string xml;
  std::string path;
  if (std::filesystem::is_regular_file(plain)) {
    path = plain.string();
    auto text = ReadFile(plain);
    if (!text.ok()) return text.status();
    xml = std::move(*text);
  } else if (std::filesystem::is_regular_file(gzipped)) {
    path = gzipped.string();
    auto compressed = ReadFile(gzipped);
    if (!compressed.ok()) return compressed.status();
    auto text = Gunzip(*compressed, path);
    if (!text.ok()) return text.status();
    xml = std::move(*text);
  } else {
    return NotFound("MuJoCo model '" + name + "' not found: looked for " + plain.string() + " and " + gzipped.string() +
                    "; install Gym's models with `apt-get install dart-doc` or set " + kMujocoModelsVariable +
                    " to a directory that holds " + name + ".xml");
  }
  return CompileXml(FixMujocoModelText(name, std::move(xml)), name, path);
}

StatusOr<MujocoModelPtr> SharedMujocoModel(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::pair<std::string, std::string>, MujocoModelPtr> models;
  const std::string directory = MujocoModelDirectory();
  std::lock_guard<std::mutex> lock(mutex);
  auto key = std::make_pair(directory, name);
  if (auto it = models.find(key); it != models.end()) return it->second;
  auto model = LoadMujocoModel(directory, name);
  if (model.ok()) models.emplace(std::move(key), *model);
  return model;
}

}  // namespace ddpg
