# install(EXPORT) with namespace resque::, a version file, a pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_resque_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/resque)
get_target_property(_resque_type resque TYPE)
if(_resque_type STREQUAL "STATIC_LIBRARY")
  set(RESQUE_PACKAGE_STATIC TRUE)
else()
  set(RESQUE_PACKAGE_STATIC FALSE)
endif()

install(TARGETS resque EXPORT resqueTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/resque DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT resqueTargets NAMESPACE resque:: DESTINATION ${_resque_cmake_dir})
# resqueConfig.cmake finds hiredis with it when the library is static.
install(FILES ${PROJECT_SOURCE_DIR}/cmake/FindHiredis.cmake DESTINATION ${_resque_cmake_dir})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/resqueConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/resqueConfig.cmake
                              INSTALL_DESTINATION ${_resque_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/resqueConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/resqueConfig.cmake
              ${PROJECT_BINARY_DIR}/resqueConfigVersion.cmake
        DESTINATION ${_resque_cmake_dir})

# pkg-config. nlohmann_json and fmt are public (Requires). hiredis is private: a static archive
# has no other way to bring it along, so its flags go into Libs (`pkg-config --libs resque` must
# be enough to link); a shared library lists them in Libs.private only. OpenSSL goes with it.
set(_resque_hiredis_libs "-lhiredis")
if(TARGET hiredis::hiredis)
  get_target_property(_resque_hiredis_loc hiredis::hiredis IMPORTED_LOCATION)
  if(NOT _resque_hiredis_loc)
    get_target_property(_resque_hiredis_cfgs hiredis::hiredis IMPORTED_CONFIGURATIONS)
    foreach(_cfg IN LISTS _resque_hiredis_cfgs)
      get_target_property(_resque_hiredis_loc hiredis::hiredis IMPORTED_LOCATION_${_cfg})
      if(_resque_hiredis_loc)
        break()
      endif()
    endforeach()
  endif()
  if(_resque_hiredis_loc)
    get_filename_component(_resque_hiredis_dir "${_resque_hiredis_loc}" DIRECTORY)
    if(NOT _resque_hiredis_dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
      set(_resque_hiredis_libs "-L${_resque_hiredis_dir} -lhiredis")
    endif()
  endif()
endif()
# OpenSSL's libraries sit in the default search path on Debian; -L is only added when not.
set(_resque_ssl_libs "-lssl -lcrypto")
if(OPENSSL_SSL_LIBRARY)
  get_filename_component(_resque_ssl_dir "${OPENSSL_SSL_LIBRARY}" DIRECTORY)
  if(NOT _resque_ssl_dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
    set(_resque_ssl_libs "-L${_resque_ssl_dir} -lssl -lcrypto")
  endif()
endif()
string(APPEND _resque_hiredis_libs " ${_resque_ssl_libs}")
if(RESQUE_PACKAGE_STATIC)
  set(RESQUE_PC_LIBS "${_resque_hiredis_libs} -pthread")
  set(RESQUE_PC_LIBS_PRIVATE "")
else()
  set(RESQUE_PC_LIBS "-pthread")
  set(RESQUE_PC_LIBS_PRIVATE "${_resque_hiredis_libs}")
endif()
foreach(_dir IN ITEMS LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(RESQUE_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(RESQUE_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/resque.pc.in ${PROJECT_BINARY_DIR}/resque.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/resque.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
