# Every test executable, with its labels. Labels: unit (no Redis), integration (real Redis),
# interop (real peers), faults (fault injection), plus the area: connection, queue, worker,
# scheduler, plugins.
resque_add_test(unit_connection PRIVATE LABELS unit connection
                SOURCES unit/url_test.cpp unit/sha1_test.cpp)
resque_add_test(integration_connection LABELS integration connection faults
                SOURCES integration/connection_test.cpp)
resque_add_test(integration_worker LABELS integration worker
                SOURCES integration/worker_test.cpp)
resque_add_test(unit_worker PRIVATE LABELS unit worker
                SOURCES unit/worker_unit_test.cpp)
# A worker process the worker tests kill (SIGKILL mid-job) or signal (run_until_signalled);
# tests find it in RESQUE_TEST_BIN_DIR.
add_executable(worker_child support/worker_child.cpp)
target_link_libraries(worker_child PRIVATE resque::resque)
resque_set_warnings(worker_child)
resque_add_test(integration_worker_faults LABELS integration worker faults
                SOURCES integration/worker_faults_test.cpp)
add_dependencies(integration_worker_faults worker_child)
resque_add_test(integration_worker_pool LABELS integration worker
                SOURCES integration/worker_pool_test.cpp)
add_dependencies(integration_worker_pool worker_child)
resque_add_test(interop_worker LABELS interop worker
                SOURCES interop/worker_interop_test.cpp)
target_include_directories(interop_worker PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/integration)
