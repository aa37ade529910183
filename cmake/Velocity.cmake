# Helpers shared by every folder's CMakeLists.txt.
#
# velocity_library(NAME DIR [DEPS ...])
#   Builds every *.cpp in the current folder that is not a test (*_test.cpp), a fuzz
#   target (*_fuzz.cpp) or a main (main.cpp) into a static library NAME, and every
#   *_test.cpp beside it into one GoogleTest executable NAME_test whose cases are
#   registered with CTest under the label "unit". Tests are found, not listed by hand.
function(velocity_library name)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB all_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  set(lib_sources "")
  set(test_sources "")
  foreach(src ${all_sources})
    get_filename_component(base ${src} NAME)
    if(base MATCHES "_test\\.cpp$")
      list(APPEND test_sources ${src})
    elseif(base MATCHES "_fuzz\\.cpp$" OR base STREQUAL "main.cpp")
      # built by the folder itself
    else()
      list(APPEND lib_sources ${src})
    endif()
  endforeach()
  if(lib_sources)
    add_library(${name} STATIC ${lib_sources})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  else()
    # Header-only so far.
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
  endif()
  if(test_sources)
    add_executable(${name}_test ${test_sources})
    target_link_libraries(${name}_test PRIVATE ${name} ${ARG_TEST_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
    set_target_properties(${name}_test PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    gtest_discover_tests(${name}_test DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit TIMEOUT 300)
  endif()
endfunction()

# velocity_fuzz_target(NAME SOURCE [SEED script] DEPS...)
#   A libFuzzer executable, only with VELOCITY_FUZZ (clang). Every fuzz target joins the
#   aggregate target `fuzzers` and gets one line "<executable>\t<seed script>" in
#   ${CMAKE_BINARY_DIR}/fuzz_targets.txt, the list scripts/fuzz runs. SEED defaults to
#   fuzz_seed.sh beside SOURCE; scripts/fuzz calls it as `<script> <kafka-protocol dir> <corpus dir>`.
function(velocity_fuzz_target name source)
  cmake_parse_arguments(ARG "" "SEED" "" ${ARGN})
  if(NOT VELOCITY_FUZZ)
    return()
  endif()
  add_executable(${name} ${source})
  # No recovery from undefined behaviour: a finding must stop the run and leave an artifact.
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE ${ARG_UNPARSED_ARGUMENTS})

  if(NOT ARG_SEED)
    get_filename_component(source_dir ${source} DIRECTORY)
    if(EXISTS ${source_dir}/fuzz_seed.sh)
      set(ARG_SEED ${source_dir}/fuzz_seed.sh)
    endif()
  endif()
  if(NOT TARGET fuzzers)
    add_custom_target(fuzzers)
    # Evaluated at generate time, so it lists every target added by any folder.
    file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/fuzz_targets.txt
         CONTENT "$<JOIN:$<TARGET_GENEX_EVAL:fuzzers,$<TARGET_PROPERTY:fuzzers,VELOCITY_FUZZ_ENTRIES>>,\n>\n")
  endif()
  add_dependencies(fuzzers ${name})
  set_property(TARGET fuzzers APPEND PROPERTY VELOCITY_FUZZ_ENTRIES "$<TARGET_FILE:${name}>\t${ARG_SEED}")
endfunction()
