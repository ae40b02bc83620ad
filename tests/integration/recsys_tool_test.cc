// The recsys command on small rating files: the baselines table, and refusals of bad data.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

#include "harness.h"

using namespace std::chrono_literals;
using ddpg::testing::BinaryPath;
using ddpg::testing::ChildProcess;
using ddpg::testing::TempDir;

namespace {

// Runs `recsys args...` to completion; its exit code and output.
std::pair<int, std::string> RunRecsys(const TempDir& dir, const std::vector<std::string>& args) {
  ChildProcess recsys(BinaryPath("recsys"), args, dir.File("recsys.out"));
  const auto code = recsys.Wait(120s);
  REQUIRE(code);
  std::string output = recsys.Log();
  std::remove(dir.File("recsys.out").c_str());
  return {*code, output};
}

}  // namespace

TEST_CASE("recsys baselines ranks a small log's held-out ratings with every baseline") {
  TempDir dir;
  {
    std::ofstream ratings(dir.File("ratings.csv"));
    ratings << "userId,movieId,rating,timestamp\n";
    for (int user = 1; user <= 20; ++user) {
      for (int item = 1; item <= 15; ++item) {
        if ((user + item) % 3 != 0)
          ratings << user << "," << item << "," << 1 + (user * item) % 5 << "," << item << "\n";
      }
    }
  }
  const auto [code, output] = RunRecsys(
      dir, {"baselines", "--ratings", dir.File("ratings.csv"), "--epochs", "20", "--embeddings", dir.File("mf.txt")});
  INFO(output);
  CHECK(code == 0);
  CHECK(output.find("200 ratings, 20 users, 15 items") != std::string::npos);
  for (const char* row : {"random ", "popular ", "greedy MF "}) CHECK(output.find(row) != std::string::npos);
  CHECK(std::ifstream(dir.File("mf.txt")).good());
  // λ was chosen on the validation split by default, and the factorization used the chosen one.
  const size_t chosen = output.find("chosen: regularization ");
  REQUIRE(chosen != std::string::npos);
  const std::string lambda = output.substr(chosen + 23, output.find(' ', chosen + 23) - chosen - 23);
  CHECK(output.find("epochs, regularization " + lambda + ":") != std::string::npos);

  const auto [fixed_code, fixed] =
      RunRecsys(dir, {"baselines", "--ratings", dir.File("ratings.csv"), "--epochs", "20", "--regularization", "0.3"});
  CHECK(fixed_code == 0);
  CHECK(fixed.find("chosen:") == std::string::npos);
  CHECK(fixed.find("epochs, regularization 0.3:") != std::string::npos);
}

TEST_CASE("recsys baselines refuses a malformed ratings file naming the line, and bad usage") {
  TempDir dir;
  std::ofstream(dir.File("bad.csv")) << "userId,movieId,rating,timestamp\n1,2,3,4\n1,3,9,5\n";
  const auto [code, output] = RunRecsys(dir, {"baselines", "--ratings", dir.File("bad.csv")});
  CHECK(code == 2);
  CHECK(output.find("bad.csv:3: rating '9' lies outside [0.5, 5]") != std::string::npos);
  CHECK(RunRecsys(dir, {"baselines"}).first == 2);
  const auto [lambda_code, lambda] =
      RunRecsys(dir, {"baselines", "--ratings", dir.File("bad.csv"), "--regularization", "lots"});
  CHECK(lambda_code == 2);
  CHECK(lambda.find("--regularization must be auto or a number, not 'lots'") != std::string::npos);
  CHECK(RunRecsys(dir, {"train-everything"}).first == 2);
}
