#!/usr/bin/env bash
# Installs every Debian package Kiln's build, demo, tests and benchmarks need.
# Idempotent: packages already present are skipped; the only network used is Debian's archive.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-format clang-tidy
  # libraries
  libcli11-dev libfast-float-dev libxxhash-dev libspdlog-dev libfmt-dev libeigen3-dev
  nlohmann-json3-dev libboost-dev libssl-dev openssl libzstd-dev libsqlite3-dev libpq-dev libgtest-dev libgmock-dev libbenchmark-dev
  # pipeline specs (YAML with line/column positions)
  libyaml-cpp-dev
  # PMML (kiln serve's pmml processor, kiln export)
  libpugixml-dev
  # parity peers (scikit-learn, LIBLINEAR, XGBoost) and real datasets
  python3 python3-sklearn python3-numpy python3-scipy liblinear-tools python3-xgboost
  r-base-core r-cran-modeldata r-cran-palmerpenguins
  # a throwaway PostgreSQL server for the team-store tests
  postgresql
  # time and memory of peers in benchmarks
  time
  # HTTP client for the demo and the serving tests
  curl
  # gRPC front end of kiln serve (C++ library and code generators) and the Python gRPC client
  # of its tests (stubs generated at test time with grpc_tools or grpc_python_plugin)
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  python3-grpcio python3-protobuf python3-grpc-tools
  # benchmarks: HTTP load generator and the reference server of bench/run_serve_bench.sh
  wrk nginx-light
  # a real Prometheus server (and promtool) scraping kiln serve's /metrics in
  # tests/integration/test_serve_prometheus.py; the test runs /usr/bin/prometheus itself
  prometheus
  # libFuzzer (clang with its compiler-rt) for scripts/fuzz.sh
  clang
  # collectives over MPI (kiln_dist_mpi) and the mpirun launcher of its tests
  libopenmpi-dev openmpi-bin
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
