# ddpg-cluster image: the replay_server, learner and actor binaries with the configurations in configs/, and
# ddpg_keys for CurveZMQ keys.
# docker-compose.yml runs every service from it; README.md, "Run with Docker", shows how.
#
#   docker build -t ddpg-cluster .
#   docker run --rm ddpg-cluster learner --help

# ---- build: compilers and -dev packages (scripts/install-deps.sh, the list the README's build uses) ----
FROM debian:bookworm-slim AS build
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Two jobs by default: a compile of this project needs about 1.5 GiB of memory per job.
ARG JOBS=2
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build -j "$JOBS" --target replay_server learner actor ddpg_keys \
 && strip /build/bin/replay_server /build/bin/learner /build/bin/actor /build/bin/ddpg_keys

# ---- runtime: the shared libraries the binaries load, nothing to build with ---------------------------
FROM debian:bookworm-slim
# Slim images exclude /usr/share/doc (/etc/dpkg/dpkg.cfg.d/docker), where dart-doc keeps Gym's MuJoCo
# models (envs/mujoco/model_loader.h); this file sorts after that one, so its include wins for the models.
RUN echo 'path-include /usr/share/doc/dart/data/mjcf/openai/*' > /etc/dpkg/dpkg.cfg.d/docker-zz-mujoco-models \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libtorch1.13 libopenblas0-openmp \
      libzmq5 libspdlog1.10 libfmt9 libboost-program-options1.74.0 libprometheus-cpp-core1.0 zlib1g \
      libbox2d2 libmujoco2.2.2 dart-doc \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /opt/ddpg-cluster --shell /usr/sbin/nologin ddpg
COPY --from=build /build/bin/replay_server /build/bin/learner /build/bin/actor /build/bin/ddpg_keys /usr/local/bin/
COPY docker/entrypoint.sh /usr/local/bin/ddpg-entrypoint
COPY docker/healthcheck.sh /usr/local/bin/ddpg-healthcheck
COPY configs /opt/ddpg-cluster/configs
# Fails the build, naming the library, when the list above misses one the binaries need; and LibTorch
# must find OpenBLAS behind libblas.so.3, not the reference BLAS that is about 15 times slower.
RUN missing=$(ldd /usr/local/bin/replay_server /usr/local/bin/learner /usr/local/bin/actor /usr/local/bin/ddpg_keys \
               | grep 'not found' || true) \
 && if [ -n "$missing" ]; then echo "add the packages that provide these to the runtime stage: $missing" >&2; exit 1; fi \
 && readlink -f "$(ldd /usr/local/bin/learner | awk '$1 == "libblas.so.3" { print $3 }')" | grep -q openblas \
 && install -d -o ddpg -g ddpg /opt/ddpg-cluster/runs \
 && install -d -o ddpg -g ddpg -m 0700 /opt/ddpg-cluster/keys
WORKDIR /opt/ddpg-cluster
USER ddpg
# Run directories (logs, metrics, checkpoints) go to runs/ (run.root); compose mounts a named volume there.
# keys/ holds CurveZMQ keys where run.security = curve looks by default (docker-compose.curve.yml).
ENTRYPOINT ["ddpg-entrypoint"]
CMD ["learner", "--help"]
