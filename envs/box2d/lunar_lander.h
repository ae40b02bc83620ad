// LunarLanderContinuous-v3: Gymnasium's box2d/lunar_lander.py with continuous=True, gravity -10 and no
// wind or turbulence (the defaults).
//
// A Box2D world is rebuilt on every reset: a moon of 10 edge chunks drawn from U(0, H/2) with a flat
// helipad around x = W/2, the lander (a hexagon) with two spring-loaded legs, and a random initial force
// U(-1000, 1000)^2 on the lander. Actions (main, lateral) are clipped to [-1, 1]: the main engine fires at
// (clip(main, 0, 1) + 1) / 2 of its power when main > 0, a side engine at clip(|lateral|, 0.5, 1) when
// |lateral| > 0.5, each impulse dispersed by U(-1, 1) / SCALE noise drawn on every step. The observation is
// (x, y, vx, vy, angle, 20 omega / FPS, left leg contact, right leg contact), scaled as Gymnasium scales it.
// reward = shaping(s') - shaping(s) - 0.3 m_power - 0.03 s_power with
//   shaping = -100 |(x, y)| - 100 |(vx, vy)| - 100 |angle| + 10 (contact_0 + contact_1);
// terminated with reward -100 when the lander's body touches the moon or |x| >= 1, and with +100 when Box2D
// puts the lander to sleep (it came to rest). Truncated after 1000 steps. Like Gymnasium, reset performs
// one zero-action step and returns its observation.
//
// Unavoidable differences from Gymnasium: the random streams are this instance's generator, not NumPy's
// (same distributions); Box2D 2.4 instead of pybox2d's 2.3, whose revolute-joint solver (limits and motor)
// differs slightly in its transients. The exhaust particles are not simulated: they never collide with the
// lander and only exist for rendering (Gymnasium only creates them when rendering).
//
// Ownership, blocking and thread-safety: the instance owns its Box2D world; Step never blocks; one thread
// per instance, like every Environment.
#pragma once

#include <array>
#include <memory>

#include "envs/environment.h"

class b2Body;
class b2World;

namespace ddpg {

class LunarLanderContinuous final : public Environment {
 public:
  static constexpr double kFps = 50.0;
  static constexpr double kScale = 30.0;
  static constexpr double kMainEnginePower = 13.0;
  static constexpr double kSideEnginePower = 0.6;
  static constexpr double kInitialRandom = 1000.0;
  static constexpr double kViewportW = 600.0;
  static constexpr double kViewportH = 400.0;
  static constexpr double kLegDown = 18.0;

  LunarLanderContinuous();
  ~LunarLanderContinuous() override;

  // Test hooks: the lander's body in world units, the flags Gymnasium's contact detector keeps, and the
  // helipad height (the observation's y is measured from helipad_y + LEG_DOWN / SCALE).
  struct LanderState {
    double x = 0, y = 0, vx = 0, vy = 0, angle = 0, angular_velocity = 0;
    bool awake = false;
  };
  LanderState lander_state() const;
  bool leg_contact(int leg) const { return leg_contact_[leg]; }
  bool game_over() const { return game_over_; }
  double helipad_y() const { return helipad_y_; }
  // Moves the lander (legs attached, rigidly) to a pose and velocity in world units, to construct the
  // situations the termination rules are about. The next Step simulates from there.
  void SetLanderPose(double x, double y, double angle, double vx, double vy, double angular_velocity);

 protected:
  void ResetState(float* observation) override;
  StepResult StepState(const float* action, float* observation) override;

 private:
  class ContactDetector;

  // A new world for an episode: BuildMoon (terrain and helipad), BuildLander (the hull, pushed at random)
  // and BuildLegs (two legs on spring-loaded joints).
  void BuildWorld();
  void BuildMoon();
  void BuildLander();
  void BuildLegs();

  std::unique_ptr<ContactDetector> contact_detector_;
  std::unique_ptr<b2World> world_;
  b2Body* lander_ = nullptr;
  std::array<b2Body*, 2> legs_{};
  std::array<bool, 2> leg_contact_{};
  bool game_over_ = false;
  double helipad_y_ = 0.0;
  double prev_shaping_ = 0.0;
  bool has_prev_shaping_ = false;
};

}  // namespace ddpg
