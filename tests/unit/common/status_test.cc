#include "common/status.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace ddpg {
namespace {

StatusOr<int> Half(int value) {
  if (value % 2 != 0) return InvalidArgument(std::to_string(value) + " is odd");
  return value / 2;
}

// Declares through DDPG_ASSIGN_OR_RETURN twice in one scope, which only compiles with distinct temporaries.
StatusOr<int> Quarter(int value) {
  DDPG_ASSIGN_OR_RETURN(const int half, Half(value));
  DDPG_ASSIGN_OR_RETURN(const int quarter, Half(half));
  return quarter;
}

int evaluations = 0;
StatusOr<std::unique_ptr<int>> CountedBox(int value) {
  ++evaluations;
  return std::make_unique<int>(value);
}

Status AssignMoveOnly(std::unique_ptr<int>& out) {
  DDPG_ASSIGN_OR_RETURN(out, CountedBox(7));
  return Status::Ok();
}

}  // namespace

TEST_CASE("a StatusOr built from an OK status is an internal error, not an empty success") {
  const StatusOr<int> result = Status::Ok();
  CHECK_FALSE(result.ok());
  CHECK_FALSE(result.status().ok());
  CHECK(result.status().code() == StatusCode::kInternal);
  CHECK(result.status().message().find("OK status") != std::string::npos);
}

TEST_CASE("a StatusOr keeps the error it was built from") {
  const StatusOr<int> result = NotFound("no such file");
  CHECK(result.status().code() == StatusCode::kNotFound);
  CHECK(result.status().message() == "no such file");
}

TEST_CASE("DDPG_ASSIGN_OR_RETURN passes a value on and returns the first error") {
  const StatusOr<int> quarter = Quarter(12);
  REQUIRE(quarter.ok());
  CHECK(*quarter == 3);
  const StatusOr<int> odd_half = Quarter(6);  // 6 / 2 = 3 is odd: the second step fails
  REQUIRE_FALSE(odd_half.ok());
  CHECK(odd_half.status().message() == "3 is odd");
  CHECK(Quarter(5).status().message() == "5 is odd");
}

TEST_CASE("DDPG_ASSIGN_OR_RETURN evaluates its expression once and moves a move-only value out") {
  evaluations = 0;
  std::unique_ptr<int> box;
  REQUIRE(AssignMoveOnly(box).ok());
  CHECK(evaluations == 1);
  REQUIRE(box != nullptr);
  CHECK(*box == 7);
}

}  // namespace ddpg
