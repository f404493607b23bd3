# install(EXPORT) with namespace resque::, a version file, a pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS resque EXPORT resqueTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/resque DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT resqueTargets NAMESPACE resque:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/resque)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/FindHiredis.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/resque)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/resqueConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/resqueConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/resque)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/resqueConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/resqueConfig.cmake
              ${PROJECT_BINARY_DIR}/resqueConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/resque)

set(RESQUE_PC_LIBS_PRIVATE "-lhiredis -lfmt -lpthread")
configure_file(${PROJECT_SOURCE_DIR}/cmake/resque.pc.in ${PROJECT_BINARY_DIR}/resque.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/resque.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
