#include "envs/box2d/bipedal_walker.h"

#include <box2d/box2d.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace ddpg {

namespace {

using Walker = BipedalWalker;

constexpr double kViewportW = 600.0;
constexpr double kViewportH = 400.0;
constexpr double kLidarRange = 160.0 / Walker::kScale;
constexpr double kInitialRandom = 5.0;
constexpr double kLegDown = -8.0 / Walker::kScale;
constexpr double kLegW = 8.0 / Walker::kScale;
constexpr double kLegH = 34.0 / Walker::kScale;
constexpr double kTerrainHeight = kViewportH / Walker::kScale / 4.0;
constexpr double kFriction = 2.5;
constexpr uint16_t kGroundCategory = 0x0001;
constexpr uint16_t kWalkerCategory = 0x0020;
constexpr int kLidarRays = 10;
// Where the hull starts: centred over the start pad, high enough for the legs to hang free.
constexpr double kInitialX = Walker::kTerrainStep * Walker::kTerrainStartpad / 2.0;
constexpr double kInitialY = kTerrainHeight + 2.0 * kLegH;

EnvSpec BipedalWalkerSpec() {
  constexpr float kPi = std::numbers::pi_v<float>;
  EnvSpec spec;
  spec.id = "BipedalWalker-v3";
  spec.obs_dim = 24;
  spec.act_dim = 4;
  spec.obs_low = {-kPi, -5.0f, -5.0f, -5.0f, -kPi, -5.0f, -kPi, -5.0f, 0.0f, -kPi, -5.0f, -kPi, -5.0f, 0.0f};
  spec.obs_high = {kPi, 5.0f, 5.0f, 5.0f, kPi, 5.0f, kPi, 5.0f, 5.0f, kPi, 5.0f, kPi, 5.0f, 5.0f};
  spec.obs_low.resize(24, -1.0f);
  spec.obs_high.resize(24, 1.0f);
  spec.act_low = {-1.0f, -1.0f, -1.0f, -1.0f};
  spec.act_high = {1.0f, 1.0f, 1.0f, 1.0f};
  spec.max_episode_steps = 1600;
  return spec;
}

b2Vec2 Vec(double x, double y) { return b2Vec2(static_cast<float>(x), static_cast<float>(y)); }

// Both leg segments collide with the ground only.
b2FixtureDef LegFixture(const b2PolygonShape* shape) {
  b2FixtureDef fixture;
  fixture.shape = shape;
  fixture.density = 1.0f;
  fixture.restitution = 0.0f;
  fixture.filter.categoryBits = kWalkerCategory;
  fixture.filter.maskBits = kGroundCategory;
  return fixture;
}

// NumPy's sign: 0 for 0.
double Sign(double x) { return static_cast<double>((x > 0.0) - (x < 0.0)); }

// Gymnasium's LidarCallback: keeps the closest hit on the ground (category bit 1), skipping the walker.
class LidarCallback final : public b2RayCastCallback {
 public:
  float ReportFixture(b2Fixture* fixture, const b2Vec2& /*point*/, const b2Vec2& /*normal*/, float fraction) override {
    if ((fixture->GetFilterData().categoryBits & kGroundCategory) == 0) return -1.0f;
    fraction_ = fraction;
    return fraction;
  }
  float fraction() const { return fraction_; }

 private:
  float fraction_ = 1.0f;
};

}  // namespace

// Gymnasium's ContactDetector: any hull contact ends the game (the walker only collides with the ground);
// the lower legs report ground contact while touching.
class BipedalWalker::ContactDetector final : public b2ContactListener {
 public:
  explicit ContactDetector(BipedalWalker* env) : env_(env) {}

  void BeginContact(b2Contact* contact) override {
    const b2Body* a = contact->GetFixtureA()->GetBody();
    const b2Body* b = contact->GetFixtureB()->GetBody();
    if (a == env_->hull_ || b == env_->hull_) env_->game_over_ = true;
    for (int i = 0; i < 2; ++i) {
      const b2Body* lower = env_->legs_[2 * i + 1];
      if (a == lower || b == lower) env_->lower_leg_contact_[i] = true;
    }
  }

  void EndContact(b2Contact* contact) override {
    const b2Body* a = contact->GetFixtureA()->GetBody();
    const b2Body* b = contact->GetFixtureB()->GetBody();
    for (int i = 0; i < 2; ++i) {
      const b2Body* lower = env_->legs_[2 * i + 1];
      if (a == lower || b == lower) env_->lower_leg_contact_[i] = false;
    }
  }

 private:
  BipedalWalker* env_;
};

BipedalWalker::BipedalWalker()
    : Environment(BipedalWalkerSpec()), contact_detector_(std::make_unique<ContactDetector>(this)) {}

BipedalWalker::~BipedalWalker() = default;

void BipedalWalker::GenerateTerrain() {
  terrain_x_.clear();
  terrain_y_.clear();
  std::uniform_real_distribution<double> kick(-1.0, 1.0);
  std::uniform_int_distribution<int> grass_length(kTerrainGrass / 2, kTerrainGrass - 1);
  double velocity = 0.0;
  double y = kTerrainHeight;
  int counter = kTerrainStartpad;
  // Right after a grass stretch ends, Gymnasium's state machine spends one step on the transition
  // ("oneshot") during which the height stays put.
  bool oneshot = false;
  for (int i = 0; i < kTerrainLength; ++i) {
    terrain_x_.push_back(i * kTerrainStep);
    if (!oneshot) {
      velocity = 0.8 * velocity + 0.01 * Sign(kTerrainHeight - y);
      if (i > kTerrainStartpad) velocity += kick(rng()) / kScale;
      y += velocity;
    }
    oneshot = false;
    terrain_y_.push_back(y);
    if (--counter == 0) {
      counter = grass_length(rng());
      oneshot = true;
    }
  }

  for (int i = 0; i + 1 < kTerrainLength; ++i) {
    b2BodyDef def;
    b2Body* body = world_->CreateBody(&def);
    b2EdgeShape edge;
    // 2.4 edges are two-sided with SetTwoSided, which is what 2.3's plain edges were.
    edge.SetTwoSided(Vec(terrain_x_[i], terrain_y_[i]), Vec(terrain_x_[i + 1], terrain_y_[i + 1]));
    b2FixtureDef fixture;
    fixture.shape = &edge;
    fixture.friction = static_cast<float>(kFriction);
    fixture.filter.categoryBits = kGroundCategory;
    body->CreateFixture(&fixture);
  }
}

void BipedalWalker::BuildWorld() {
  world_ = std::make_unique<b2World>(b2Vec2(0.0f, -10.0f));
  world_->SetContactListener(contact_detector_.get());
  game_over_ = false;
  lower_leg_contact_ = {false, false};
  has_prev_shaping_ = false;
  // The random draws happen in Gymnasium's order: the terrain, then the push on the hull.
  GenerateTerrain();
  BuildHull();
  for (int side = 0; side < 2; ++side) BuildLeg(side);
}

void BipedalWalker::BuildHull() {
  b2BodyDef hull_def;
  hull_def.type = b2_dynamicBody;
  hull_def.position = Vec(kInitialX, kInitialY);
  hull_ = world_->CreateBody(&hull_def);
  constexpr int kHullPoints[5][2] = {{-30, 9}, {6, 9}, {34, 1}, {34, -8}, {-30, -8}};
  b2Vec2 vertices[5];
  for (int i = 0; i < 5; ++i) vertices[i] = Vec(kHullPoints[i][0] / kScale, kHullPoints[i][1] / kScale);
  b2PolygonShape hull_shape;
  hull_shape.Set(vertices, 5);
  b2FixtureDef hull_fixture;
  hull_fixture.shape = &hull_shape;
  hull_fixture.density = 5.0f;
  hull_fixture.friction = 0.1f;
  hull_fixture.filter.categoryBits = kWalkerCategory;
  hull_fixture.filter.maskBits = kGroundCategory;
  hull_fixture.restitution = 0.0f;
  hull_->CreateFixture(&hull_fixture);
  std::uniform_real_distribution<double> initial_force(-kInitialRandom, kInitialRandom);
  hull_->ApplyForceToCenter(Vec(initial_force(rng()), 0.0), true);
}

void BipedalWalker::BuildLeg(int side) {
  const int i = side == 0 ? -1 : +1;
  b2PolygonShape upper_shape;
  upper_shape.SetAsBox(static_cast<float>(kLegW / 2.0), static_cast<float>(kLegH / 2.0));
  b2BodyDef upper_def;
  upper_def.type = b2_dynamicBody;
  upper_def.position = Vec(kInitialX, kInitialY - kLegH / 2.0 - kLegDown);
  upper_def.angle = static_cast<float>(i * 0.05);
  b2Body* upper = world_->CreateBody(&upper_def);
  const b2FixtureDef upper_fixture = LegFixture(&upper_shape);
  upper->CreateFixture(&upper_fixture);
  b2RevoluteJointDef hip;
  hip.bodyA = hull_;
  hip.bodyB = upper;
  hip.localAnchorA = Vec(0.0, kLegDown);
  hip.localAnchorB = Vec(0.0, kLegH / 2.0);
  hip.enableMotor = true;
  hip.enableLimit = true;
  hip.maxMotorTorque = static_cast<float>(kMotorsTorque);
  hip.motorSpeed = static_cast<float>(i);
  hip.lowerAngle = -0.8f;
  hip.upperAngle = 1.1f;
  legs_[2 * side] = upper;
  joints_[2 * side] = static_cast<b2RevoluteJoint*>(world_->CreateJoint(&hip));

  b2PolygonShape lower_shape;
  lower_shape.SetAsBox(static_cast<float>(0.8 * kLegW / 2.0), static_cast<float>(kLegH / 2.0));
  b2BodyDef lower_def;
  lower_def.type = b2_dynamicBody;
  lower_def.position = Vec(kInitialX, kInitialY - kLegH * 3.0 / 2.0 - kLegDown);
  lower_def.angle = static_cast<float>(i * 0.05);
  b2Body* lower = world_->CreateBody(&lower_def);
  const b2FixtureDef lower_fixture = LegFixture(&lower_shape);
  lower->CreateFixture(&lower_fixture);
  b2RevoluteJointDef knee;
  knee.bodyA = upper;
  knee.bodyB = lower;
  knee.localAnchorA = Vec(0.0, -kLegH / 2.0);
  knee.localAnchorB = Vec(0.0, kLegH / 2.0);
  knee.enableMotor = true;
  knee.enableLimit = true;
  knee.maxMotorTorque = static_cast<float>(kMotorsTorque);
  knee.motorSpeed = 1.0f;
  knee.lowerAngle = -1.6f;
  knee.upperAngle = -0.1f;
  legs_[2 * side + 1] = lower;
  joints_[2 * side + 1] = static_cast<b2RevoluteJoint*>(world_->CreateJoint(&knee));
}

void BipedalWalker::ResetState(float* observation) {
  BuildWorld();
  const float zero[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  StepState(zero, observation);
}

StepResult BipedalWalker::StepState(const float* action, float* observation) {
  double energy = 0.0;
  for (int j = 0; j < 4; ++j) {
    const double speed = (j % 2 == 0) ? kSpeedHip : kSpeedKnee;
    const double magnitude = std::clamp(std::abs(static_cast<double>(action[j])), 0.0, 1.0);
    joints_[j]->SetMotorSpeed(static_cast<float>(speed * Sign(action[j])));
    joints_[j]->SetMaxMotorTorque(static_cast<float>(kMotorsTorque * magnitude));
    energy += magnitude;
  }

  world_->Step(static_cast<float>(1.0 / kFps), 6 * 30, 2 * 30);

  const b2Vec2 pos = hull_->GetPosition();
  const b2Vec2 vel = hull_->GetLinearVelocity();
  std::array<double, 24> state = {
      hull_->GetAngle(),
      2.0 * hull_->GetAngularVelocity() / kFps,
      0.3 * vel.x * (kViewportW / kScale) / kFps,
      0.3 * vel.y * (kViewportH / kScale) / kFps,
      joints_[0]->GetJointAngle(),
      joints_[0]->GetJointSpeed() / kSpeedHip,
      joints_[1]->GetJointAngle() + 1.0,
      joints_[1]->GetJointSpeed() / kSpeedKnee,
      lower_leg_contact_[0] ? 1.0 : 0.0,
      joints_[2]->GetJointAngle(),
      joints_[2]->GetJointSpeed() / kSpeedHip,
      joints_[3]->GetJointAngle() + 1.0,
      joints_[3]->GetJointSpeed() / kSpeedKnee,
      lower_leg_contact_[1] ? 1.0 : 0.0,
  };
  for (int i = 0; i < kLidarRays; ++i) {
    LidarCallback lidar;
    const double ray_angle = 1.5 * i / 10.0;
    const b2Vec2 end = Vec(pos.x + std::sin(ray_angle) * kLidarRange, pos.y - std::cos(ray_angle) * kLidarRange);
    world_->RayCast(&lidar, pos, end);
    state[14 + i] = lidar.fraction();
  }
  for (int i = 0; i < 24; ++i) observation[i] = static_cast<float>(state[i]);

  const double shaping = 130.0 * pos.x / kScale - 5.0 * std::abs(state[0]);
  double reward = has_prev_shaping_ ? shaping - prev_shaping_ : 0.0;
  prev_shaping_ = shaping;
  has_prev_shaping_ = true;
  reward -= 0.00035 * kMotorsTorque * energy;

  StepResult result;
  if (game_over_ || pos.x < 0.0f) {
    reward = -100.0;
    result.terminated = true;
  }
  if (pos.x > (kTerrainLength - kTerrainGrass) * kTerrainStep) result.terminated = true;
  result.reward = static_cast<float>(reward);
  return result;
}

double BipedalWalker::hull_x() const { return hull_->GetPosition().x; }
double BipedalWalker::hull_y() const { return hull_->GetPosition().y; }

void BipedalWalker::MoveWalker(double dx, double dy, double vx, double vy) {
  b2Body* parts[5] = {hull_, legs_[0], legs_[1], legs_[2], legs_[3]};
  for (b2Body* part : parts) {
    part->SetTransform(part->GetPosition() + Vec(dx, dy), part->GetAngle());
    part->SetLinearVelocity(Vec(vx, vy));
    part->SetAngularVelocity(0.0f);
    part->SetAwake(true);
  }
}

}  // namespace ddpg
