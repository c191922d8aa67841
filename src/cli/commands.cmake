# `postern init` / `postern validate` / `postern import-wso2` logic, included from src/cli/CMakeLists.txt.
add_library(postern_cli_commands STATIC
  ${CMAKE_CURRENT_LIST_DIR}/init_command.cc
  ${CMAKE_CURRENT_LIST_DIR}/import_wso2_command.cc
  ${CMAKE_CURRENT_LIST_DIR}/toml_text_check.cc
  ${CMAKE_CURRENT_LIST_DIR}/validate_command.cc
  ${CMAKE_CURRENT_LIST_DIR}/wso2_conf.cc)
target_link_libraries(postern_cli_commands PUBLIC postern_config postern_core)
# micro-gw.conf (WSO2's runtime configuration) is TOML: toml11, header-only (libtoml11-dev).
find_package(toml11 REQUIRED)
target_link_libraries(postern_cli_commands PRIVATE toml11::toml11)
