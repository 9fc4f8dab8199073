# Compiler flags shared by every Kiln target (applied through kiln_options).
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

add_library(kiln_options INTERFACE)
target_compile_options(kiln_options INTERFACE -Wall -Wextra -Wno-missing-field-initializers)
if(KILN_WERROR)
  target_compile_options(kiln_options INTERFACE -Werror)
endif()
if(KILN_SANITIZE)
  target_compile_options(kiln_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                -fno-sanitize-recover=undefined -O1)
  target_link_options(kiln_options INTERFACE -fsanitize=address,undefined)
endif()
if(KILN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "KILN_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++); found "
                        "${CMAKE_CXX_COMPILER_ID}")
  endif()
  # Coverage instrumentation for libFuzzer in every Kiln target (the fuzz binaries add
  # -fsanitize=fuzzer for libFuzzer's main); any UB report aborts, so the fuzzer records it.
  target_compile_options(kiln_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                                                -fno-sanitize-recover=undefined
                                                -fno-omit-frame-pointer -g)
  target_link_options(kiln_options INTERFACE -fsanitize=address,undefined)
endif()
target_include_directories(kiln_options INTERFACE ${PROJECT_SOURCE_DIR}/include)
target_compile_definitions(kiln_options INTERFACE KILN_VERSION="${PROJECT_VERSION}")

# kiln_module(NAME <name> DEPS <targets...>): one static library per src/<name>/ folder.
function(kiln_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  add_library(kiln_${name} STATIC ${srcs})
  target_link_libraries(kiln_${name} PUBLIC kiln_options ${ARG_DEPS})
  target_include_directories(kiln_${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()
