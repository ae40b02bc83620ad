#include "envs/box2d/lunar_lander.h"

#include <box2d/box2d.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace ddpg {

namespace {

using Lander = LunarLanderContinuous;

constexpr double kW = Lander::kViewportW / Lander::kScale;
constexpr double kH = Lander::kViewportH / Lander::kScale;
constexpr int kChunks = 11;
// Where the lander (and the legs' bodies) start, before the random push.
constexpr double kInitialX = kW / 2.0;
constexpr double kInitialY = kH;
constexpr double kLegAway = 20.0;
constexpr double kLegW = 2.0;
constexpr double kLegH = 8.0;
constexpr double kLegSpringTorque = 40.0;
constexpr double kSideEngineHeight = 14.0;
constexpr double kSideEngineAway = 12.0;
constexpr double kMainEngineYLocation = 4.0;
constexpr uint16_t kGroundCategory = 0x0001;

EnvSpec LunarLanderSpec() {
  constexpr float kTwoPi = static_cast<float>(2.0 * std::numbers::pi);
  EnvSpec spec;
  spec.id = "LunarLanderContinuous-v3";
  spec.obs_dim = 8;
  spec.act_dim = 2;
  spec.obs_low = {-2.5f, -2.5f, -10.0f, -10.0f, -kTwoPi, -10.0f, 0.0f, 0.0f};
  spec.obs_high = {2.5f, 2.5f, 10.0f, 10.0f, kTwoPi, 10.0f, 1.0f, 1.0f};
  spec.act_low = {-1.0f, -1.0f};
  spec.act_high = {1.0f, 1.0f};
  spec.max_episode_steps = 1000;
  return spec;
}

b2Vec2 Vec(double x, double y) { return b2Vec2(static_cast<float>(x), static_cast<float>(y)); }

}  // namespace

// Gymnasium's ContactDetector: any contact of the lander's body ends the game (it only collides with the
// ground); legs report ground contact while touching.
class LunarLanderContinuous::ContactDetector final : public b2ContactListener {
 public:
  explicit ContactDetector(LunarLanderContinuous* env) : env_(env) {}

  void BeginContact(b2Contact* contact) override {
    const b2Body* a = contact->GetFixtureA()->GetBody();
    const b2Body* b = contact->GetFixtureB()->GetBody();
    if (a == env_->lander_ || b == env_->lander_) env_->game_over_ = true;
    for (int i = 0; i < 2; ++i) {
      if (a == env_->legs_[i] || b == env_->legs_[i]) env_->leg_contact_[i] = true;
    }
  }

  void EndContact(b2Contact* contact) override {
    const b2Body* a = contact->GetFixtureA()->GetBody();
    const b2Body* b = contact->GetFixtureB()->GetBody();
    for (int i = 0; i < 2; ++i) {
      if (a == env_->legs_[i] || b == env_->legs_[i]) env_->leg_contact_[i] = false;
    }
  }

 private:
  LunarLanderContinuous* env_;
};

LunarLanderContinuous::LunarLanderContinuous()
    : Environment(LunarLanderSpec()), contact_detector_(std::make_unique<ContactDetector>(this)) {}

LunarLanderContinuous::~LunarLanderContinuous() = default;

void LunarLanderContinuous::BuildWorld() {
  // A fresh world per episode, as Gymnasium v3 does: reusing one keeps broad-phase and contact state from
  // the previous episode, which made a seed's trajectory depend on history (Gymnasium issue #728).
  world_ = std::make_unique<b2World>(b2Vec2(0.0f, -10.0f));
  world_->SetContactListener(contact_detector_.get());
  game_over_ = false;
  leg_contact_ = {false, false};
  has_prev_shaping_ = false;
  // The random draws happen in Gymnasium's order: the terrain's heights, then the push on the lander.
  BuildMoon();
  BuildLander();
  BuildLegs();
}

void LunarLanderContinuous::BuildMoon() {
  std::uniform_real_distribution<double> terrain_height(0.0, kH / 2.0);
  std::array<double, kChunks + 1> height;
  for (double& h : height) h = terrain_height(rng());
  std::array<double, kChunks> chunk_x;
  for (int i = 0; i < kChunks; ++i) chunk_x[i] = kW / (kChunks - 1) * i;
  helipad_y_ = kH / 4.0;
  for (int i = kChunks / 2 - 2; i <= kChunks / 2 + 2; ++i) height[i] = helipad_y_;
  std::array<double, kChunks> smooth_y;
  for (int i = 0; i < kChunks; ++i) {
    // Python's height[i - 1] at i = 0 is the last element.
    const double previous = height[(i + kChunks) % (kChunks + 1)];
    smooth_y[i] = 0.33 * (previous + height[i] + height[i + 1]);
  }

  b2BodyDef moon_def;
  b2Body* moon = world_->CreateBody(&moon_def);
  b2EdgeShape bottom;
  // 2.4 edges are two-sided with SetTwoSided, which is what 2.3's plain edges were.
  bottom.SetTwoSided(Vec(0, 0), Vec(kW, 0));
  b2FixtureDef bottom_fixture;
  bottom_fixture.shape = &bottom;
  moon->CreateFixture(&bottom_fixture);
  for (int i = 0; i < kChunks - 1; ++i) {
    b2EdgeShape edge;
    edge.SetTwoSided(Vec(chunk_x[i], smooth_y[i]), Vec(chunk_x[i + 1], smooth_y[i + 1]));
    b2FixtureDef fixture;
    fixture.shape = &edge;
    fixture.density = 0.0f;
    fixture.friction = 0.1f;
    moon->CreateFixture(&fixture);
  }
}

void LunarLanderContinuous::BuildLander() {
  b2BodyDef lander_def;
  lander_def.type = b2_dynamicBody;
  lander_def.position = Vec(kInitialX, kInitialY);
  lander_def.angle = 0.0f;
  lander_ = world_->CreateBody(&lander_def);
  constexpr int kPolyPoints[6][2] = {{-14, 17}, {-17, 0}, {-17, -10}, {17, -10}, {17, 0}, {14, 17}};
  b2Vec2 vertices[6];
  for (int i = 0; i < 6; ++i) vertices[i] = Vec(kPolyPoints[i][0] / kScale, kPolyPoints[i][1] / kScale);
  b2PolygonShape hull;
  hull.Set(vertices, 6);
  b2FixtureDef lander_fixture;
  lander_fixture.shape = &hull;
  lander_fixture.density = 5.0f;
  lander_fixture.friction = 0.1f;
  lander_fixture.filter.categoryBits = 0x0010;
  lander_fixture.filter.maskBits = kGroundCategory;
  lander_fixture.restitution = 0.0f;
  lander_->CreateFixture(&lander_fixture);
  std::uniform_real_distribution<double> initial_force(-kInitialRandom, kInitialRandom);
  const double force_x = initial_force(rng());
  const double force_y = initial_force(rng());
  lander_->ApplyForceToCenter(Vec(force_x, force_y), true);
}

void LunarLanderContinuous::BuildLegs() {
  for (int leg_index = 0; leg_index < 2; ++leg_index) {
    const int i = leg_index == 0 ? -1 : +1;
    b2BodyDef leg_def;
    leg_def.type = b2_dynamicBody;
    leg_def.position = Vec(kInitialX - i * kLegAway / kScale, kInitialY);
    leg_def.angle = static_cast<float>(i * 0.05);
    b2Body* leg = world_->CreateBody(&leg_def);
    b2PolygonShape box;
    box.SetAsBox(static_cast<float>(kLegW / kScale), static_cast<float>(kLegH / kScale));
    b2FixtureDef leg_fixture;
    leg_fixture.shape = &box;
    leg_fixture.density = 1.0f;
    leg_fixture.restitution = 0.0f;
    leg_fixture.filter.categoryBits = 0x0020;
    leg_fixture.filter.maskBits = kGroundCategory;
    leg->CreateFixture(&leg_fixture);

    b2RevoluteJointDef joint;
    joint.bodyA = lander_;
    joint.bodyB = leg;
    joint.localAnchorA = Vec(0, 0);
    joint.localAnchorB = Vec(i * kLegAway / kScale, kLegDown / kScale);
    joint.enableMotor = true;
    joint.enableLimit = true;
    joint.maxMotorTorque = static_cast<float>(kLegSpringTorque);
    joint.motorSpeed = static_cast<float>(0.3 * i);
    joint.lowerAngle = static_cast<float>(i == -1 ? 0.9 - 0.5 : -0.9);
    joint.upperAngle = static_cast<float>(i == -1 ? 0.9 : -0.9 + 0.5);
    world_->CreateJoint(&joint);
    legs_[leg_index] = leg;
  }
}

void LunarLanderContinuous::ResetState(float* observation) {
  BuildWorld();
  const float zero[2] = {0.0f, 0.0f};
  StepState(zero, observation);
}

StepResult LunarLanderContinuous::StepState(const float* action, float* observation) {
  const float main = std::clamp(action[0], -1.0f, 1.0f);
  const float lateral = std::clamp(action[1], -1.0f, 1.0f);

  const double angle = lander_->GetAngle();
  const double tip[2] = {std::sin(angle), std::cos(angle)};
  const double side[2] = {-tip[1], tip[0]};
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  double dispersion[2];
  for (double& d : dispersion) d = unit(rng()) / kScale;

  double m_power = 0.0;
  if (main > 0.0f) {
    m_power = (std::clamp(static_cast<double>(main), 0.0, 1.0) + 1.0) * 0.5;
    const double ox = tip[0] * (kMainEngineYLocation / kScale + 2.0 * dispersion[0]) + side[0] * dispersion[1];
    const double oy = -tip[1] * (kMainEngineYLocation / kScale + 2.0 * dispersion[0]) - side[1] * dispersion[1];
    const b2Vec2 position = lander_->GetPosition();
    const b2Vec2 impulse_pos = Vec(position.x + ox, position.y + oy);
    lander_->ApplyLinearImpulse(Vec(-ox * kMainEnginePower * m_power, -oy * kMainEnginePower * m_power), impulse_pos,
                                true);
  }

  double s_power = 0.0;
  if (std::abs(lateral) > 0.5f) {
    const double direction = lateral > 0.0f ? 1.0 : -1.0;
    s_power = std::clamp(static_cast<double>(std::abs(lateral)), 0.5, 1.0);
    const double ox = tip[0] * dispersion[0] + side[0] * (3.0 * dispersion[1] + direction * kSideEngineAway / kScale);
    const double oy = -tip[1] * dispersion[0] - side[1] * (3.0 * dispersion[1] + direction * kSideEngineAway / kScale);
    // Gymnasium offsets the thrust point by 17 / SCALE along tip[0] but SIDE_ENGINE_HEIGHT along tip[1]; the
    // resulting orientation-dependent torque is part of the task, so it is kept.
    const b2Vec2 position = lander_->GetPosition();
    const b2Vec2 impulse_pos =
        Vec(position.x + ox - tip[0] * 17.0 / kScale, position.y + oy + tip[1] * kSideEngineHeight / kScale);
    lander_->ApplyLinearImpulse(Vec(-ox * kSideEnginePower * s_power, -oy * kSideEnginePower * s_power), impulse_pos,
                                true);
  }

  world_->Step(static_cast<float>(1.0 / kFps), 6 * 30, 2 * 30);

  const b2Vec2 pos = lander_->GetPosition();
  const b2Vec2 vel = lander_->GetLinearVelocity();
  const double state[8] = {
      (pos.x - kW / 2.0) / (kW / 2.0),
      (pos.y - (helipad_y_ + kLegDown / kScale)) / (kH / 2.0),
      vel.x * (kW / 2.0) / kFps,
      vel.y * (kH / 2.0) / kFps,
      lander_->GetAngle(),
      20.0 * lander_->GetAngularVelocity() / kFps,
      leg_contact_[0] ? 1.0 : 0.0,
      leg_contact_[1] ? 1.0 : 0.0,
  };
  for (int i = 0; i < 8; ++i) observation[i] = static_cast<float>(state[i]);

  const double shaping = -100.0 * std::sqrt(state[0] * state[0] + state[1] * state[1]) -
                         100.0 * std::sqrt(state[2] * state[2] + state[3] * state[3]) - 100.0 * std::abs(state[4]) +
                         10.0 * state[6] + 10.0 * state[7];
  double reward = has_prev_shaping_ ? shaping - prev_shaping_ : 0.0;
  prev_shaping_ = shaping;
  has_prev_shaping_ = true;
  reward -= m_power * 0.30;
  reward -= s_power * 0.03;

  StepResult result;
  if (game_over_ || std::abs(state[0]) >= 1.0) {
    result.terminated = true;
    reward = -100.0;
  }
  if (!lander_->IsAwake()) {
    result.terminated = true;
    reward = +100.0;
  }
  result.reward = static_cast<float>(reward);
  return result;
}

LunarLanderContinuous::LanderState LunarLanderContinuous::lander_state() const {
  const b2Vec2 pos = lander_->GetPosition();
  const b2Vec2 vel = lander_->GetLinearVelocity();
  return {pos.x, pos.y, vel.x, vel.y, lander_->GetAngle(), lander_->GetAngularVelocity(), lander_->IsAwake()};
}

void LunarLanderContinuous::SetLanderPose(double x, double y, double angle, double vx, double vy,
                                          double angular_velocity) {
  const b2Transform old_lander = lander_->GetTransform();
  std::array<b2Transform, 2> relative;
  for (int i = 0; i < 2; ++i) relative[i] = b2MulT(old_lander, legs_[i]->GetTransform());

  lander_->SetTransform(Vec(x, y), static_cast<float>(angle));
  const b2Vec2 velocity = Vec(vx, vy);
  const float omega = static_cast<float>(angular_velocity);
  lander_->SetLinearVelocity(velocity);
  lander_->SetAngularVelocity(omega);
  lander_->SetAwake(true);
  for (int i = 0; i < 2; ++i) {
    const b2Transform leg = b2Mul(lander_->GetTransform(), relative[i]);
    legs_[i]->SetTransform(leg.p, leg.q.GetAngle());
    // Rigid motion: the legs' centres move with the lander's velocity plus omega x r.
    const b2Vec2 r = legs_[i]->GetWorldCenter() - lander_->GetWorldCenter();
    legs_[i]->SetLinearVelocity(velocity + b2Cross(omega, r));
    legs_[i]->SetAngularVelocity(omega);
    legs_[i]->SetAwake(true);
  }
}

}  // namespace ddpg
