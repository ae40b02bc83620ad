// Sets LibTorch's (and through OpenMP, OpenBLAS's) thread pools for this process. Call once, early in
// main, before any tensor work: on a small machine several processes each using every core drown in
// oversubscription.
#pragma once

namespace ddpg {
void SetTorchThreads(int threads);
}  // namespace ddpg
