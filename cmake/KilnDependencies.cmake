# Third-party libraries, all from Debian packages (scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
find_path(FAST_FLOAT_INCLUDE_DIR fast_float/fast_float.h REQUIRED)
add_library(kiln_fast_float INTERFACE)
target_include_directories(kiln_fast_float SYSTEM INTERFACE ${FAST_FLOAT_INCLUDE_DIR})
if(KILN_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
# MetaStore dialects: SQLite embedded, PostgreSQL through libpq.
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
# HTTP server: Boost.Beast on Asio (header-only).
find_package(Boost 1.74 REQUIRED)
# HTTPS for kiln serve (Asio's SSL streams).
find_package(OpenSSL REQUIRED)
# gRPC front end of `kiln serve`: Debian 12 ships grpc++ and protobuf pkg-config files (its gRPC
# CMake config is incomplete), and protoc with the grpc_cpp_plugin generator.
pkg_check_modules(GRPCPP REQUIRED IMPORTED_TARGET grpc++)
pkg_check_modules(PROTOBUF REQUIRED IMPORTED_TARGET protobuf)
find_program(PROTOC_PROGRAM protoc REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
# PMML documents: read by kiln serve's pmml processor, written by kiln export (Debian's
# libpugixml-dev ships a CMake package).
find_package(pugixml REQUIRED)
# Pipeline specs (kiln run / validate): YAML with line and column of every node.
find_package(yaml-cpp REQUIRED)
# Collectives over MPI (src/dist_mpi): Debian's OpenMPI through the C API only (no deprecated
# C++ bindings); mpiexec runs the MPI tests.
set(MPI_CXX_SKIP_MPICXX ON)
find_package(MPI REQUIRED COMPONENTS CXX)
