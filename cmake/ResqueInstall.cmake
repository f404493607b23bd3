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

install(TARGETS resque resque_throw_trace EXPORT resqueTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/resque DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT resqueTargets NAMESPACE resque:: DESTINATION ${_resque_cmake_dir})
# resque::prometheus (optional, built when prometheus-cpp was found): its own export set, so
# resqueConfig.cmake loads it only where it was installed and prometheus-cpp is found again, and
# consumers without prometheus-cpp still get resque::resque.
if(TARGET resque_prometheus)
  set_target_properties(resque_prometheus PROPERTIES EXPORT_NAME prometheus)
  install(TARGETS resque_prometheus EXPORT resquePrometheusTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT resquePrometheusTargets NAMESPACE resque:: DESTINATION ${_resque_cmake_dir})
endif()
# resqueConfig.cmake finds hiredis and cctz with them when the library is static.
install(FILES ${PROJECT_SOURCE_DIR}/cmake/FindHiredis.cmake ${PROJECT_SOURCE_DIR}/cmake/FindCctz.cmake
        DESTINATION ${_resque_cmake_dir})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/resqueConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/resqueConfig.cmake
                              INSTALL_DESTINATION ${_resque_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/resqueConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/resqueConfig.cmake
              ${PROJECT_BINARY_DIR}/resqueConfigVersion.cmake
        DESTINATION ${_resque_cmake_dir})

# pkg-config. nlohmann_json and fmt are public (Requires). hiredis and cctz are private: a static
# archive has no other way to bring them along, so their flags go into Libs (`pkg-config --libs
# resque` must be enough to link); a shared library lists them in Libs.private only. Neither has
# a .pc file on every system (Debian's cctz has none), so they are given as -L/-l flags.
# _resque_lib_flags(<imported target> <library name> <out var>): "-l<name>", with -L<dir> when
# the library is not in a directory the linker searches anyway.
function(_resque_lib_flags target name out)
  set(flags "-l${name}")
  if(TARGET ${target})
    get_target_property(loc ${target} IMPORTED_LOCATION)
    if(NOT loc)
      get_target_property(cfgs ${target} IMPORTED_CONFIGURATIONS)
      foreach(cfg IN LISTS cfgs)
        get_target_property(loc ${target} IMPORTED_LOCATION_${cfg})
        if(loc)
          break()
        endif()
      endforeach()
    endif()
    if(loc)
      get_filename_component(dir "${loc}" DIRECTORY)
      if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
        set(flags "-L${dir} -l${name}")
      endif()
    endif()
  endif()
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()
_resque_lib_flags(hiredis::hiredis hiredis _resque_hiredis_libs)
_resque_lib_flags(cctz::cctz cctz _resque_cctz_libs)
# OpenSSL's libraries sit in the default search path on Debian; -L is only added when not.
set(_resque_ssl_libs "-lssl -lcrypto")
if(OPENSSL_SSL_LIBRARY)
  get_filename_component(_resque_ssl_dir "${OPENSSL_SSL_LIBRARY}" DIRECTORY)
  if(NOT _resque_ssl_dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
    set(_resque_ssl_libs "-L${_resque_ssl_dir} -lssl -lcrypto")
  endif()
endif()
string(APPEND _resque_hiredis_libs " ${_resque_ssl_libs}")
# Failure backtraces: GCC's libbacktrace (found by the compiler driver) and libdl.
string(APPEND _resque_hiredis_libs " -lbacktrace")
foreach(_resque_dl IN LISTS CMAKE_DL_LIBS)
  string(APPEND _resque_hiredis_libs " -l${_resque_dl}")
endforeach()
if(RESQUE_PACKAGE_STATIC)
  set(RESQUE_PC_LIBS "${_resque_hiredis_libs} ${_resque_cctz_libs} -pthread")
  set(RESQUE_PC_LIBS_PRIVATE "")
else()
  set(RESQUE_PC_LIBS "-pthread")
  set(RESQUE_PC_LIBS_PRIVATE "${_resque_hiredis_libs} ${_resque_cctz_libs}")
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
