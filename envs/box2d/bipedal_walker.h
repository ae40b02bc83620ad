// BipedalWalker-v3: Gymnasium's box2d/bipedal_walker.py with hardcore=False.
//
// A Box2D world is rebuilt on every reset: 200 terrain steps of 14/30 m whose height follows a damped random
// walk (U(-1, 1) / SCALE velocity kicks after the 20-step start pad, a flat step every 5..9 steps), each an
// edge with friction 2.5; a hull with two legs of two segments on four motorised revolute joints; a random
// horizontal force U(-5, 5) on the hull. Action a_i in [-1, 1] per joint (hip, knee, hip, knee) sets motor
// speed SPEED * sign(a_i) (4 for hips, 6 for knees) and maximum torque 80 * clip(|a_i|, 0, 1); nothing else
// is clipped, as in Gymnasium. The 24-dim observation is hull angle, 2 omega / FPS, 0.3 v (W, H) / SCALE /
// FPS, per leg (hip angle, hip speed / 4, knee angle + 1, knee speed / 6, lower-leg ground contact), and
// 10 lidar fractions in [0, 1] (rays of 160 / SCALE at angles 1.5 i / 10 below the hull, closest hit).
// reward = shaping(s') - shaping(s) - 0.00035 * 80 * sum_i clip(|a_i|, 0, 1) with
//   shaping = 130 hull_x / SCALE - 5 |hull angle|;
// terminated with reward -100 when the hull touches the ground or hull_x < 0, and terminated (reward as
// computed) when hull_x passes (200 - 10) terrain steps, the end of the course. Truncated after 1600 steps.
// Like Gymnasium, reset performs one zero-action step and returns its observation.
//
// Unavoidable differences from Gymnasium: the random streams are this instance's generator, not NumPy's
// (same distributions); the decorative clouds, which only consume random numbers, are not generated;
// Box2D 2.4 instead of pybox2d's 2.3, whose revolute-joint solver (limits and motor) differs slightly in its
// transients. Gymnasium reuses one world across resets; this rebuilds it so a seed's trajectory does not
// depend on earlier episodes.
//
// Ownership, blocking and thread-safety: the instance owns its Box2D world; Step never blocks; one thread
// per instance, like every Environment.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "envs/environment.h"

class b2Body;
class b2RevoluteJoint;
class b2World;

namespace ddpg {

class BipedalWalker final : public Environment {
 public:
  static constexpr double kFps = 50.0;
  static constexpr double kScale = 30.0;
  static constexpr double kMotorsTorque = 80.0;
  static constexpr double kSpeedHip = 4.0;
  static constexpr double kSpeedKnee = 6.0;
  static constexpr double kTerrainStep = 14.0 / kScale;
  static constexpr int kTerrainLength = 200;
  static constexpr int kTerrainGrass = 10;
  static constexpr int kTerrainStartpad = 20;

  BipedalWalker();
  ~BipedalWalker() override;

  // Test hooks: the hull's position (world units), whether it touched the ground, the lower legs' contacts
  // and the terrain's polyline.
  double hull_x() const;
  double hull_y() const;
  bool game_over() const { return game_over_; }
  bool leg_contact(int leg) const { return lower_leg_contact_[leg]; }
  const std::vector<double>& terrain_x() const { return terrain_x_; }
  const std::vector<double>& terrain_y() const { return terrain_y_; }
  // Moves the whole walker rigidly by (dx, dy) and sets every part's velocity to (vx, vy), to construct the
  // situations the termination rules are about. The next Step simulates from there.
  void MoveWalker(double dx, double dy, double vx, double vy);

 protected:
  void ResetState(float* observation) override;
  StepResult StepState(const float* action, float* observation) override;

 private:
  class ContactDetector;

  void BuildWorld();
  void GenerateTerrain();
  void BuildHull();
  // side 0 is the left leg (hip and knee joints 0 and 1), side 1 the right one (joints 2 and 3).
  void BuildLeg(int side);

  std::unique_ptr<ContactDetector> contact_detector_;
  std::unique_ptr<b2World> world_;
  b2Body* hull_ = nullptr;
  // Gymnasium's order: upper left, lower left, upper right, lower right (legs) and hip, knee, hip, knee.
  std::array<b2Body*, 4> legs_{};
  std::array<b2RevoluteJoint*, 4> joints_{};
  std::array<bool, 2> lower_leg_contact_{};
  bool game_over_ = false;
  std::vector<double> terrain_x_, terrain_y_;
  double prev_shaping_ = 0.0;
  bool has_prev_shaping_ = false;
};

}  // namespace ddpg
