#pragma once
/// @file version.hpp
/// resque-cpp's version (also read by CMake for the package version).

#define RESQUE_VERSION_MAJOR 0
#define RESQUE_VERSION_MINOR 1
#define RESQUE_VERSION_PATCH 0
#define RESQUE_VERSION_STRING "0.1.0"
