#pragma once
/// @file plugins.hpp
/// Umbrella header of the built-in plugins (resque::plugins::QueueLock, JobLock,
/// DelayQueueLock, ConcurrencyLimit, Retry, Noop).

#include "resque/plugins/concurrency_limit.hpp"
#include "resque/plugins/delay_queue_lock.hpp"
#include "resque/plugins/job_lock.hpp"
#include "resque/plugins/noop.hpp"
#include "resque/plugins/queue_lock.hpp"
#include "resque/plugins/retry.hpp"
