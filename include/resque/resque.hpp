#pragma once
/// @file resque.hpp
/// Umbrella header: everything a service needs to enqueue and perform Resque jobs.

#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/events.hpp"
#include "resque/failure.hpp"
#include "resque/job.hpp"
#include "resque/json.hpp"
#include "resque/keys.hpp"
#include "resque/lock.hpp"
#include "resque/options.hpp"
#include "resque/plugin.hpp"
#include "resque/plugins.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/scheduler.hpp"
#include "resque/version.hpp"
#include "resque/worker.hpp"
#include "resque/worker_pool.hpp"
