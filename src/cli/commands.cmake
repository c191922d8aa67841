# `postern init` / `postern validate` logic, included from src/cli/CMakeLists.txt.
add_library(postern_cli_commands STATIC
  ${CMAKE_CURRENT_LIST_DIR}/init_command.cc
  ${CMAKE_CURRENT_LIST_DIR}/validate_command.cc)
target_link_libraries(postern_cli_commands PUBLIC postern_config postern_core)
