# `cmake --install build` (prefix /usr/local by default): the binary, the systemd units
# where systemd looks for local units, and the documentation the units point to
# (docs/deployment.md, "Installing").
include(GNUInstallDirs)
install(TARGETS postern RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES
  deploy/systemd/postern.socket
  deploy/systemd/postern.service
  deploy/systemd/postern-collector.service
  deploy/systemd/postern-keymanager.service
  DESTINATION lib/systemd/system)
install(FILES docs/deployment.md docs/configuration.md docs/analytics.md docs/keymanager.md docs/proxy.md
  docs/security.md docs/throttling.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
