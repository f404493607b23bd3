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
