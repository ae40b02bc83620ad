// Tests of model loading (envs/mujoco/model_loader.h): Gym's nine models compile in MuJoCo 2.2.2 with the
// dimensions Gymnasium's v4 environments report and the masses their geometry implies, the text fixes do
// what Gym's MuJoCo did, and missing or malformed files give clear errors.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "envs/env_spec.h"
#include "envs/environment.h"
#include "envs/mujoco/model_loader.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace ddpg {
namespace {

constexpr double kPi = std::numbers::pi;

// MuJoCo's geom volumes (inertiafromgeom): a capsule is a cylinder of length `length` plus two half spheres.
double Capsule(double radius, double length) {
  return kPi * radius * radius * length + 4.0 / 3.0 * kPi * radius * radius * radius;
}
double Sphere(double radius) { return 4.0 / 3.0 * kPi * radius * radius * radius; }
double Norm(double x, double y, double z) { return std::sqrt(x * x + y * y + z * z); }

// Body masses written out from the XML files: density (default 1000, Ant's 5) times the volumes of each
// body's geoms, with capsule lengths from fromto or twice the half-length in size.
double HopperTorso() { return 1000 * Capsule(0.05, 0.4); }   // fromto z 1.45 .. 1.05
double HopperThigh() { return 1000 * Capsule(0.05, 0.45); }  // 1.05 .. 0.6
double HopperLeg() { return 1000 * Capsule(0.04, 0.5); }     // 0.6 .. 0.1
double HopperFoot() { return 1000 * Capsule(0.06, 0.39); }   // x -0.13 .. 0.26
double WalkerFoot() { return 1000 * Capsule(0.06, 0.2); }    // x 0 .. 0.2

double AntMass() {
  // Torso sphere; per leg: hip and upper link 0.2 * sqrt(2) long, ankle link 0.4 * sqrt(2), radius 0.08.
  const double leg = 2 * Capsule(0.08, 0.2 * std::sqrt(2.0)) + Capsule(0.08, 0.4 * std::sqrt(2.0));
  return 5.0 * (Sphere(0.25) + 4 * leg);
}

double HumanoidMass() {
  const double torso = Capsule(0.07, 0.14) + Sphere(0.09) + Capsule(0.06, 0.12);  // torso1, head, uwaist
  const double lwaist = Capsule(0.06, 0.12);
  const double pelvis = Capsule(0.09, 0.14);  // butt
  const double leg = Capsule(0.06, Norm(0, 0.01, 0.34)) + Capsule(0.049, 0.3) + Sphere(0.075);
  const double arm = Capsule(0.04, Norm(0.16, 0.16, 0.16)) + Capsule(0.031, Norm(0.16, 0.16, 0.16)) + Sphere(0.04);
  return 1000 * (torso + lwaist + pelvis + 2 * leg + 2 * arm);
}

struct Expected {
  const char* name;
  int nq, nv, nu, nbody;
  double timestep;
  double total_mass;
};

// nq/nv/nu are those of Gymnasium's observation and action tables; timesteps are the frame times its
// docstrings state (dt / frame_skip).
const std::vector<Expected>& ExpectedModels() {
  static const std::vector<Expected> expected = {
      // settotalmass="14" rescales the cheetah's geom masses to exactly 14 kg.
      {"half_cheetah", 9, 9, 6, 8, 0.01, 14.0},
      {"hopper", 6, 6, 3, 5, 0.002, HopperTorso() + HopperThigh() + HopperLeg() + HopperFoot()},
      {"walker2d", 9, 9, 6, 8, 0.002, HopperTorso() + 2 * (HopperThigh() + HopperLeg() + WalkerFoot())},
      {"ant", 15, 14, 8, 14, 0.01, AntMass()},
      {"humanoid", 24, 23, 17, 14, 0.003, HumanoidMass()},
      // Three 1 m capsules of radius 0.1 at geom density 1000 (option density="4000" is the fluid's).
      {"swimmer", 5, 5, 2, 4, 0.01, 1000 * 3 * Capsule(0.1, 1.0)},
      // Two 0.1 m links of radius 0.01, the fingertip sphere (0.01) and the target sphere (0.009).
      {"reacher", 4, 4, 2, 5, 0.01, 1000 * (2 * Capsule(0.01, 0.1) + Sphere(0.01) + Sphere(0.009))},
      // The cart (capsule, half-length 0.1) and a pole from (0,0,0) to (0.001,0,0.6), radius 0.049.
      {"inverted_pendulum", 2, 2, 1, 3, 0.02, 1000 * (Capsule(0.1, 0.2) + Capsule(0.049, Norm(0.001, 0, 0.6)))},
      {"inverted_double_pendulum", 3, 3, 1, 4, 0.01, 1000 * (Capsule(0.1, 0.2) + 2 * Capsule(0.045, 0.6))},
  };
  return expected;
}

TEST_CASE("each of Gym's models compiles with Gymnasium's dimensions, timestep and geometric mass", "[mujoco_model]") {
  for (const Expected& e : ExpectedModels()) {
    INFO("model " << e.name);
    auto model = LoadMujocoModel(MujocoModelDirectory(), e.name);
    INFO(model.status().message());
    REQUIRE(model.ok());
    const mjModel& m = **model;
    REQUIRE(m.nq == e.nq);
    REQUIRE(m.nv == e.nv);
    REQUIRE(m.nu == e.nu);
    REQUIRE(m.nbody == e.nbody);
    REQUIRE(m.opt.timestep == e.timestep);
    REQUIRE(mj_getTotalmass(&m) == Approx(e.total_mass).epsilon(1e-9));
  }
}

TEST_CASE("Hopper and Walker2d body masses follow from their capsules", "[mujoco_model]") {
  auto hopper = LoadMujocoModel(MujocoModelDirectory(), "hopper");
  REQUIRE(hopper.ok());
  const std::vector<double> hopper_masses = {0.0, HopperTorso(), HopperThigh(), HopperLeg(), HopperFoot()};
  for (int b = 0; b < 5; ++b) REQUIRE((*hopper)->body_mass[b] == Approx(hopper_masses[b]).epsilon(1e-9));

  auto walker = LoadMujocoModel(MujocoModelDirectory(), "walker2d");
  REQUIRE(walker.ok());
  const std::vector<double> walker_masses = {0.0,          HopperTorso(), HopperThigh(), HopperLeg(),
                                             WalkerFoot(), HopperThigh(), HopperLeg(),   WalkerFoot()};
  for (int b = 0; b < 8; ++b) REQUIRE((*walker)->body_mass[b] == Approx(walker_masses[b]).epsilon(1e-9));
}

// The physics Gymnasium's v4 XML files state, written out from them (gymnasium/envs/mujoco/assets, the same
// numbers before and after its move to local coordinates): what the dynamics depend on beyond the masses.
struct JointPhysics {
  const char* name;
  double low, high;  // radians; equal for an unlimited joint
  double armature, damping, stiffness;
};
struct GeomContact {
  const char* name;
  double friction;  // sliding; the only component that acts with condim 1 and 3
  int condim;
};

StatusOr<MujocoModelPtr> LoadGymModel(const char* name) { return LoadMujocoModel(MujocoModelDirectory(), name); }

int Id(const mjModel& m, mjtObj type, const char* name) {
  const int id = mj_name2id(&m, type, name);
  INFO(name);
  REQUIRE(id >= 0);
  return id;
}

void RequireJoints(const mjModel& m, const std::vector<JointPhysics>& joints) {
  REQUIRE(m.njnt == static_cast<int>(joints.size()));
  for (const JointPhysics& j : joints) {
    INFO("joint " << j.name);
    const int id = Id(m, mjOBJ_JOINT, j.name);
    const int dof = m.jnt_dofadr[id];
    REQUIRE(m.jnt_limited[id] == (j.low != j.high ? 1 : 0));
    if (j.low != j.high) {
      REQUIRE(m.jnt_range[2 * id] == Approx(j.low).margin(1e-12));
      REQUIRE(m.jnt_range[2 * id + 1] == Approx(j.high).margin(1e-12));
    }
    REQUIRE(m.dof_armature[dof] == Approx(j.armature).margin(1e-12));
    REQUIRE(m.dof_damping[dof] == Approx(j.damping).margin(1e-12));
    REQUIRE(m.jnt_stiffness[id] == Approx(j.stiffness).margin(1e-12));
  }
}

// Motors on the named joints in this order, ctrl limited to [-1, 1].
void RequireMotors(const mjModel& m, const std::vector<std::pair<const char*, double>>& joint_gears) {
  REQUIRE(m.nu == static_cast<int>(joint_gears.size()));
  for (int i = 0; i < m.nu; ++i) {
    INFO("actuator " << i << " on " << joint_gears[i].first);
    REQUIRE(m.actuator_trntype[i] == mjTRN_JOINT);
    REQUIRE(m.actuator_trnid[2 * i] == Id(m, mjOBJ_JOINT, joint_gears[i].first));
    REQUIRE(m.actuator_gear[6 * i] == joint_gears[i].second);
    REQUIRE(m.actuator_ctrllimited[i] == 1);
    REQUIRE(m.actuator_ctrlrange[2 * i] == -1.0);
    REQUIRE(m.actuator_ctrlrange[2 * i + 1] == 1.0);
  }
}

void RequireContacts(const mjModel& m, const std::vector<GeomContact>& geoms) {
  for (const GeomContact& g : geoms) {
    INFO("geom " << g.name);
    const int id = Id(m, mjOBJ_GEOM, g.name);
    REQUIRE(m.geom_friction[3 * id] == Approx(g.friction));
    REQUIRE(m.geom_condim[id] == g.condim);
  }
}

constexpr double kDegree = kPi / 180.0;

TEST_CASE("hopper has Gymnasium v4's joints, motors and contacts", "[mujoco_model]") {
  auto model = LoadGymModel("hopper");
  REQUIRE(model.ok());
  const mjModel& m = **model;
  REQUIRE(m.opt.integrator == mjINT_RK4);
  RequireJoints(m, {{"rootx", 0, 0, 0, 0, 0},
                    {"rootz", 0, 0, 0, 0, 0},
                    {"rooty", 0, 0, 0, 0, 0},
                    {"thigh_joint", -150 * kDegree, 0, 1, 1, 0},
                    {"leg_joint", -150 * kDegree, 0, 1, 1, 0},
                    {"foot_joint", -45 * kDegree, 45 * kDegree, 1, 1, 0}});
  REQUIRE(m.qpos0[1] == 1.25);  // rootz ref: qpos[1] is the torso's height, which the health rule reads
  RequireMotors(m, {{"thigh_joint", 200}, {"leg_joint", 200}, {"foot_joint", 200}});
  RequireContacts(
      m,
      {{"floor", 1.0, 3}, {"torso_geom", 0.9, 1}, {"thigh_geom", 0.9, 1}, {"leg_geom", 0.9, 1}, {"foot_geom", 2.0, 1}});
  for (const char* name : {"torso_geom", "thigh_geom", "leg_geom", "foot_geom"}) {
    INFO("geom " << name);
    const int g = Id(m, mjOBJ_GEOM, name);
    REQUIRE(m.geom_solimp[mjNIMP * g] == 0.8);
    REQUIRE(m.geom_solimp[mjNIMP * g + 1] == 0.8);
    REQUIRE(m.geom_solimp[mjNIMP * g + 2] == 0.01);
    REQUIRE(m.geom_solref[mjNREF * g] == 0.02);
    REQUIRE(m.geom_solref[mjNREF * g + 1] == 1.0);
    REQUIRE(m.geom_margin[g] == 0.001);
  }
}

TEST_CASE("walker2d has Gymnasium v4's joints, motors and contacts", "[mujoco_model]") {
  auto model = LoadGymModel("walker2d");
  REQUIRE(model.ok());
  const mjModel& m = **model;
  REQUIRE(m.opt.integrator == mjINT_RK4);
  std::vector<JointPhysics> joints = {{"rootx", 0, 0, 0, 0, 0}, {"rootz", 0, 0, 0, 0, 0}, {"rooty", 0, 0, 0, 0, 0}};
  static const char* const kLegJoints[] = {"thigh_joint",      "leg_joint",      "foot_joint",
                                           "thigh_left_joint", "leg_left_joint", "foot_left_joint"};
  for (const char* name : kLegJoints) {
    const bool foot = std::string(name).starts_with("foot");
    joints.push_back({name, (foot ? -45 : -150) * kDegree, foot ? 45 * kDegree : 0.0, 0.01, 0.1, 0});
  }
  RequireJoints(m, joints);
  REQUIRE(m.qpos0[1] == 1.25);
  std::vector<std::pair<const char*, double>> motors;
  for (const char* name : kLegJoints) motors.push_back({name, 100});
  RequireMotors(m, motors);
  // v4's left foot grips at 1.9, the right at 0.9 (v5 made both 0.9).
  RequireContacts(m, {{"floor", 0.7, 3},
                      {"torso_geom", 0.9, 3},
                      {"thigh_geom", 0.9, 3},
                      {"leg_geom", 0.9, 3},
                      {"foot_geom", 0.9, 3},
                      {"thigh_left_geom", 0.9, 3},
                      {"leg_left_geom", 0.9, 3},
                      {"foot_left_geom", 1.9, 3}});
}

TEST_CASE("half_cheetah has Gymnasium v4's joints, motors and contacts", "[mujoco_model]") {
  auto model = LoadGymModel("half_cheetah");
  REQUIRE(model.ok());
  const mjModel& m = **model;
  REQUIRE(m.opt.integrator == mjINT_EULER);
  RequireJoints(m, {{"rootx", 0, 0, 0, 0, 0},
                    {"rootz", 0, 0, 0, 0, 0},
                    {"rooty", 0, 0, 0, 0, 0},
                    {"bthigh", -0.52, 1.05, 0.1, 6, 240},
                    {"bshin", -0.785, 0.785, 0.1, 4.5, 180},
                    {"bfoot", -0.4, 0.785, 0.1, 3, 120},
                    {"fthigh", -1, 0.7, 0.1, 4.5, 180},
                    {"fshin", -1.2, 0.87, 0.1, 3, 120},
                    {"ffoot", -0.5, 0.5, 0.1, 1.5, 60}});
  RequireMotors(m, {{"bthigh", 120}, {"bshin", 90}, {"bfoot", 60}, {"fthigh", 120}, {"fshin", 60}, {"ffoot", 30}});
  RequireContacts(m, {{"floor", 0.4, 3}, {"torso", 0.4, 3}, {"head", 0.4, 3}, {"bfoot", 0.4, 3}, {"ffoot", 0.4, 3}});
}

TEST_CASE("the fixed foot frames sit where Gym's MuJoCo put them and the cart motor is limited to 3",
          "[mujoco_model]") {
  // Feet at world (0.2, 0, 0) (walker2d) and (0.13, 0, 0) (hopper), 0.35 below their leg's frame.
  auto walker = LoadMujocoModel(MujocoModelDirectory(), "walker2d");
  REQUIRE(walker.ok());
  for (const char* foot : {"foot", "foot_left"}) {
    const int id = mj_name2id(walker->get(), mjOBJ_BODY, foot);
    REQUIRE(id > 0);
    REQUIRE((*walker)->body_pos[3 * id] == Approx(0.2));
    REQUIRE((*walker)->body_pos[3 * id + 1] == Approx(0.0).margin(1e-12));
    REQUIRE((*walker)->body_pos[3 * id + 2] == Approx(-0.35));
  }
  auto hopper = LoadMujocoModel(MujocoModelDirectory(), "hopper");
  REQUIRE(hopper.ok());
  const int foot = mj_name2id(hopper->get(), mjOBJ_BODY, "foot");
  REQUIRE((*hopper)->body_pos[3 * foot] == Approx(0.13));
  REQUIRE((*hopper)->body_pos[3 * foot + 2] == Approx(-0.35));

  auto pendulum = LoadMujocoModel(MujocoModelDirectory(), "inverted_pendulum");
  REQUIRE(pendulum.ok());
  REQUIRE((*pendulum)->actuator_ctrllimited[0] == 1);
  REQUIRE((*pendulum)->actuator_ctrlrange[0] == -3.0);
  REQUIRE((*pendulum)->actuator_ctrlrange[1] == 3.0);
}

TEST_CASE("FixMujocoModelText rewrites only the flawed spots of the named model", "[mujoco_model]") {
  const std::string walker = "<body name=\"foot\" pos=\"0.2/2 0 0.1\"><body name=\"foot_left\" pos=\"0.2/2 0 0.1\">";
  REQUIRE(FixMujocoModelText("walker2d", walker) ==
          "<body name=\"foot\" pos=\"0.2 0 0\"><body name=\"foot_left\" pos=\"0.2 0 0\">");
  REQUIRE(FixMujocoModelText("hopper", "<body name=\"foot\" pos=\"0.13/2 0 0.1\">") ==
          "<body name=\"foot\" pos=\"0.13 0 0\">");
  // Other models and already-correct text pass unchanged.
  REQUIRE(FixMujocoModelText("ant", walker) == walker);
  const std::string gym_pendulum = "<motor ctrllimited=\"true\" ctrlrange=\"-3 3\" gear=\"100\"/>";
  REQUIRE(FixMujocoModelText("inverted_pendulum", gym_pendulum) == gym_pendulum);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mujoco_model_test_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  void Write(const std::string& name, const std::string& contents) const {
    std::ofstream(path_ / name, std::ios::binary) << contents;
  }

 private:
  std::filesystem::path path_;
};

TEST_CASE("a missing model is NotFound naming the paths looked at and how to get the files", "[mujoco_model]") {
  TempDir empty;
  auto model = LoadMujocoModel(empty.path().string(), "hopper");
  REQUIRE_FALSE(model.ok());
  REQUIRE(model.status().code() == StatusCode::kNotFound);
  const std::string& message = model.status().message();
  REQUIRE_THAT(message, Catch::Contains((empty.path() / "hopper.xml").string()));
  REQUIRE_THAT(message, Catch::Contains((empty.path() / "hopper.xml.gz").string()));
  REQUIRE_THAT(message, Catch::Contains("apt-get install dart-doc"));
  REQUIRE_THAT(message, Catch::Contains("DDPG_MUJOCO_MODELS"));
}

TEST_CASE("the registry reads DDPG_MUJOCO_MODELS and reports a directory without models", "[mujoco_model]") {
  TempDir empty;
  const char* before = std::getenv(kMujocoModelsVariable);
  const std::string saved = before != nullptr ? before : "";
  setenv(kMujocoModelsVariable, empty.path().c_str(), 1);
  REQUIRE(MujocoModelDirectory() == empty.path().string());
  auto env = MakeEnvironment("Walker2d-v4");
  auto ant = MakeEnvironment("Ant-v4");
  auto spec = LookUpEnvSpec("Ant-v4");
  if (before != nullptr) {
    setenv(kMujocoModelsVariable, saved.c_str(), 1);
  } else {
    unsetenv(kMujocoModelsVariable);
  }
  REQUIRE_FALSE(env.ok());
  REQUIRE(env.status().code() == StatusCode::kNotFound);
  REQUIRE_THAT(env.status().message(), Catch::Contains((empty.path() / "walker2d.xml").string()));
  REQUIRE_FALSE(ant.ok());
  REQUIRE_THAT(ant.status().message(), Catch::Contains((empty.path() / "ant.xml.gz").string()));
  // The spec table answers without a model file.
  REQUIRE(spec.ok());
  REQUIRE(spec->obs_dim == 27);
  // With the variable unset the default directory serves again.
  if (before == nullptr) REQUIRE(MujocoModelDirectory() == kDefaultMujocoModelDirectory);
  REQUIRE(MakeEnvironment("Walker2d-v4").ok());
}

TEST_CASE("a malformed model file is InvalidArgument carrying MuJoCo's message", "[mujoco_model]") {
  TempDir dir;
  dir.Write("broken.xml", "<mujoco><worldbody><body pos=\"1 2\"></worldbody></mujoco>");
  auto broken = LoadMujocoModel(dir.path().string(), "broken");
  REQUIRE_FALSE(broken.ok());
  REQUIRE(broken.status().code() == StatusCode::kInvalidArgument);
  REQUIRE_THAT(broken.status().message(), Catch::Contains((dir.path() / "broken.xml").string()));
  REQUIRE_THAT(broken.status().message(), Catch::Contains("XML"));

  // A .xml.gz that is not gzip data.
  dir.Write("garbage.xml.gz", "this is not gzip");
  auto garbage = LoadMujocoModel(dir.path().string(), "garbage");
  REQUIRE_FALSE(garbage.ok());
  REQUIRE(garbage.status().code() == StatusCode::kInvalidArgument);
  REQUIRE_THAT(garbage.status().message(), Catch::Contains("garbage.xml.gz"));

  // Unfixed text that MuJoCo 2.2.2 rejects, as dart-doc's walker2d would be without the fix.
  dir.Write("walker_copy.xml",
            "<mujoco><worldbody><body pos=\"0.2/2 0 0.1\"><geom size=\"0.1\"/></body>"
            "</worldbody></mujoco>");
  auto unfixed = LoadMujocoModel(dir.path().string(), "walker_copy");
  REQUIRE_FALSE(unfixed.ok());
  REQUIRE(unfixed.status().code() == StatusCode::kInvalidArgument);
  REQUIRE_THAT(unfixed.status().message(), Catch::Contains("pos"));
}

TEST_CASE("a gzipped copy of a model loads like the plain file", "[mujoco_model]") {
  TempDir dir;
  std::ifstream in(std::filesystem::path(MujocoModelDirectory()) / "hopper.xml", std::ios::binary);
  const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE_FALSE(xml.empty());
  gzFile out = gzopen((dir.path() / "hopper.xml.gz").c_str(), "wb");
  REQUIRE(out != nullptr);
  REQUIRE(gzwrite(out, xml.data(), static_cast<unsigned>(xml.size())) == static_cast<int>(xml.size()));
  gzclose(out);
  auto gzipped = LoadMujocoModel(dir.path().string(), "hopper");
  INFO(gzipped.status().message());
  REQUIRE(gzipped.ok());
  auto plain = LoadMujocoModel(MujocoModelDirectory(), "hopper");
  REQUIRE(plain.ok());
  REQUIRE((*gzipped)->nq == (*plain)->nq);
  REQUIRE(mj_getTotalmass(gzipped->get()) == mj_getTotalmass(plain->get()));
}

TEST_CASE("SharedMujocoModel compiles a model once and environments share it", "[mujoco_model]") {
  auto first = SharedMujocoModel("swimmer");
  auto second = SharedMujocoModel("swimmer");
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  REQUIRE(first->get() == second->get());
  auto a = MakeEnvironment("Swimmer-v4");
  auto b = MakeEnvironment("Swimmer-v4");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(&dynamic_cast<MujocoEnv&>(**a).model() == first->get());
  REQUIRE(&dynamic_cast<MujocoEnv&>(**b).model() == first->get());
  // The model is shared, each environment steps its own data.
  float obs_a[8], obs_b[8];
  (*a)->Reset(1, obs_a);
  (*b)->Reset(2, obs_b);
  const float action[2] = {1.0f, -1.0f};
  (*a)->Step(action, obs_a);
  float again[8];
  (*b)->Reset(1, again);
  (*b)->Step(action, again);
  for (int i = 0; i < 8; ++i) REQUIRE(obs_a[i] == again[i]);
}

TEST_CASE("threads asking for a model at once all get the one copy", "[mujoco_model]") {
  std::vector<const mjModel*> seen(4, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&seen, i] {
      auto model = SharedMujocoModel("inverted_double_pendulum");
      if (model.ok()) seen[i] = model->get();
    });
  }
  for (std::thread& t : threads) t.join();
  REQUIRE(seen[0] != nullptr);
  for (const mjModel* m : seen) REQUIRE(m == seen[0]);
}

}  // namespace
}  // namespace ddpg
