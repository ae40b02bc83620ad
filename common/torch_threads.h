// Sets LibTorch's (and through OpenMP, OpenBLAS's) thread pools for this process. Call once, early in
// main, before any tensor work: on a small machine several processes each using every core drown in
// oversubscription.
#pragma once

namespace ddpg {
void SetTorchThreads(int threads);
// Changes only the intra-op count (LibTorch's and OpenMP's, which OpenBLAS follows), which unlike the
// inter-op pool may change while tensors are in use.
void SetTorchIntraOpThreads(int threads);
}  // namespace ddpg
