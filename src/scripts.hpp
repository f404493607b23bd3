#pragma once
// The Lua scripts (src/lua/*.lua, embedded at build time) as Script objects, created once.
#include "lua_scripts.hpp"
#include "resque/connection.hpp"

namespace resque::scripts {
#define RESQUE_SCRIPT(name)           \
  inline const Script& name() {       \
    static const Script s(lua::name); \
    return s;                         \
  }
RESQUE_SCRIPT(enqueue)
RESQUE_SCRIPT(enqueue_at)
RESQUE_SCRIPT(worker_step)
RESQUE_SCRIPT(worker_register)
RESQUE_SCRIPT(worker_unregister)
RESQUE_SCRIPT(del_matching)
RESQUE_SCRIPT(del_queue)
RESQUE_SCRIPT(del_delayed)
RESQUE_SCRIPT(remove_failed)
RESQUE_SCRIPT(retry_failed)
RESQUE_SCRIPT(retry_and_remove_failed)
RESQUE_SCRIPT(force_clean_worker)
RESQUE_SCRIPT(lock_acquire)
RESQUE_SCRIPT(lock_renew)
RESQUE_SCRIPT(lock_release)
RESQUE_SCRIPT(semaphore_acquire)
RESQUE_SCRIPT(semaphore_renew)
RESQUE_SCRIPT(semaphore_release)
RESQUE_SCRIPT(delayed_due)
RESQUE_SCRIPT(promote)
RESQUE_SCRIPT(recover_worker)
RESQUE_SCRIPT(schedule_fire)
#undef RESQUE_SCRIPT
}  // namespace resque::scripts
