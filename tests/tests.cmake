# Every test executable, with its labels. Labels: unit (no Redis), integration (real Redis),
# interop (real peers), faults (fault injection), plus the area: connection, queue, worker,
# scheduler, plugins.
resque_add_test(unit_connection PRIVATE LABELS unit connection
                SOURCES unit/url_test.cpp unit/sha1_test.cpp)
resque_add_test(integration_connection LABELS integration connection faults
                SOURCES integration/connection_test.cpp)
resque_add_test(integration_worker LABELS integration worker
                SOURCES integration/worker_test.cpp)
resque_add_test(unit_scheduler PRIVATE LABELS unit scheduler
                SOURCES unit/cron_test.cpp)
resque_add_test(integration_scheduler PRIVATE LABELS integration scheduler
                SOURCES integration/scheduler_test.cpp)
# Child process (resque-cpp worker or scheduler) that the scheduler's fault and interop tests
# SIGKILL.
add_executable(sched_worker_child support/sched_worker_child.cpp)
target_link_libraries(sched_worker_child PRIVATE resque::resque)
resque_set_warnings(sched_worker_child)
resque_add_test(faults_scheduler LABELS faults scheduler
                SOURCES faults/scheduler_faults_test.cpp)
add_dependencies(faults_scheduler sched_worker_child)
resque_add_test(interop_scheduler LABELS interop scheduler
                SOURCES interop/scheduler_interop_test.cpp)
add_dependencies(interop_scheduler sched_worker_child)
