// Loading Gym's MuJoCo models (the MJCF files that Gymnasium's v4 environments use) for MuJoCo 2.2.2.
//
// The files come from a directory: $DDPG_MUJOCO_MODELS if set, else the copy that Debian's dart-doc
// package installs. A model <name> is read from <name>.xml or, failing that, <name>.xml.gz (decompressed in
// memory), corrected by FixMujocoModelText and compiled from memory.
//
// Ownership: a compiled model is held by a shared_ptr to const; it is immutable after compilation, so any
// number of environments on any threads may read it at once (each keeps its own mjData). SharedMujocoModel
// compiles each (directory, name) once per process and keeps it for the life of the process; it is
// thread-safe and blocks while a model compiles (milliseconds). LoadMujocoModel neither caches nor shares
// state and is safe to call from any thread.
#pragma once

#include <memory>
#include <string>

#include <mujoco/mujoco.h>

#include "common/status.h"

namespace ddpg {

using MujocoModelPtr = std::shared_ptr<const mjModel>;

inline constexpr char kMujocoModelsVariable[] = "DDPG_MUJOCO_MODELS";
inline constexpr char kDefaultMujocoModelDirectory[] = "/usr/share/doc/dart/data/mjcf/openai";

// $DDPG_MUJOCO_MODELS when set and non-empty, else kDefaultMujocoModelDirectory; read at every call.
std::string MujocoModelDirectory();

// Compiles <directory>/<name>.xml (or .xml.gz). NotFound names the paths looked at and how to get the files;
// InvalidArgument carries the decompressor's or MuJoCo's message for a malformed file.
StatusOr<MujocoModelPtr> LoadMujocoModel(const std::string& directory, const std::string& name);

// LoadMujocoModel(MujocoModelDirectory(), name), compiled once per process and directory. Failures are not
// kept, so a later call retries.
StatusOr<MujocoModelPtr> SharedMujocoModel(const std::string& name);

// The text corrections that model <name> needs to compile in MuJoCo 2.2.2 as Gym's MuJoCo compiled it; text
// without the flawed spots passes unchanged, so already-correct copies of the files load too.
std::string FixMujocoModelText(const std::string& name, std::string xml);

}  // namespace ddpg
