# Every test executable, with its labels. Labels: unit (no Redis), integration (real Redis),
# interop (real peers), faults (fault injection), plus the area: connection, queue, worker,
# scheduler, plugins.
resque_add_test(unit_connection PRIVATE LABELS unit connection
                SOURCES unit/url_test.cpp unit/sha1_test.cpp unit/cluster_unit_test.cpp)
resque_add_test(integration_connection LABELS integration connection faults
                SOURCES integration/connection_test.cpp)
# The same connection tests against a TLS-only server, plus what only TLS has (label tls).
resque_add_test(integration_connection_tls LABELS integration connection faults tls
                SOURCES integration/connection_test.cpp PREFIX "tls." DEFINES RESQUE_TEST_OVER_TLS)
resque_add_test(integration_tls LABELS integration connection tls
                SOURCES integration/tls_test.cpp)
target_include_directories(integration_tls PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/integration)
resque_add_test(integration_sentinel LABELS integration connection faults sentinel
                SOURCES integration/sentinel_test.cpp)
target_include_directories(integration_sentinel PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/integration)
resque_add_test(integration_pool LABELS integration connection SOURCES integration/pool_test.cpp)
target_include_directories(integration_pool PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/integration)
resque_add_test(integration_worker LABELS integration worker
                SOURCES integration/worker_test.cpp)
resque_add_test(unit_codec LABELS unit queue
                SOURCES unit/codec_test.cpp unit/registry_test.cpp unit/keys_test.cpp)
# Support shared by the interop tests (node-resque driver runner, Redis dumps for fixtures).
target_sources(resque_test_support PRIVATE support/node_peer.cpp support/redis_dump.cpp)
resque_add_test(interop_queue LABELS interop queue
                SOURCES interop/queue_interop_test.cpp)
resque_add_test(unit_queue_timefmt PRIVATE LABELS unit queue
                SOURCES unit/timefmt_test.cpp)
resque_add_test(integration_queue_enqueue LABELS integration queue
                SOURCES integration/queue_enqueue_test.cpp)
resque_add_test(integration_queue_inspect LABELS integration queue
                SOURCES integration/queue_inspect_test.cpp)
resque_add_test(integration_queue_delete LABELS integration queue
                SOURCES integration/queue_delete_test.cpp)
resque_add_test(integration_queue_failed PRIVATE LABELS integration queue
                SOURCES integration/queue_failed_test.cpp)
resque_add_test(integration_queue_workers PRIVATE LABELS integration queue
                SOURCES integration/queue_workers_test.cpp)
resque_add_test(unit_plugins PRIVATE LABELS unit plugins
                SOURCES unit/plugins_unit_test.cpp)
resque_add_test(integration_plugins LABELS integration plugins
                SOURCES integration/plugins_test.cpp)
resque_add_test(integration_lock LABELS integration plugins
                SOURCES integration/lock_test.cpp)
# The custom lock plugin example (examples/tenant_lock.hpp) is tested there too.
target_include_directories(integration_lock PRIVATE ${PROJECT_SOURCE_DIR}/examples)
resque_add_test(faults_plugins LABELS integration faults plugins
                SOURCES faults/plugins_faults_test.cpp)
# Child processes of the plugin tests (several clients at once; SIGKILL while holding a lock).
foreach(_child plugin_enqueue_child plugin_lock_child)
  add_executable(${_child} support/${_child}.cpp)
  target_link_libraries(${_child} PRIVATE resque::resque)
  resque_set_warnings(${_child})
endforeach()
add_dependencies(integration_plugins plugin_enqueue_child)
add_dependencies(faults_plugins plugin_lock_child)
resque_add_test(interop_plugins LABELS interop plugins
                SOURCES interop/plugins_interop_test.cpp)
if(TARGET resque-cli)
  resque_add_test(integration_cli LABELS integration tools SOURCES integration/cli_test.cpp)
  target_compile_definitions(integration_cli PRIVATE RESQUE_CLI_PATH="$<TARGET_FILE:resque-cli>")
  add_dependencies(integration_cli resque-cli)
  resque_add_test(integration_dashboard LABELS integration tools
                  SOURCES integration/dashboard_test.cpp)
  target_link_libraries(integration_dashboard PRIVATE resque_dashboard)
  target_compile_definitions(integration_dashboard PRIVATE RESQUE_CLI_PATH="$<TARGET_FILE:resque-cli>")
  add_dependencies(integration_dashboard resque-cli)
  # Launches headless Chromium about 15 times (skipped without chromium).
  set_tests_properties(DashboardTest.HeadlessChromiumRendersEveryPage PROPERTIES TIMEOUT 300)
endif()
resque_add_test(unit_worker PRIVATE LABELS unit worker
                SOURCES unit/worker_unit_test.cpp unit/sticky_queue_test.cpp)
# A worker process the worker tests kill (SIGKILL mid-job) or signal (run_until_signalled);
# tests find it in RESQUE_TEST_BIN_DIR.
add_executable(worker_child support/worker_child.cpp)
target_link_libraries(worker_child PRIVATE resque::resque)
resque_set_warnings(worker_child)
resque_add_test(integration_worker_faults LABELS integration worker faults
                SOURCES faults/worker_faults_test.cpp)
add_dependencies(integration_worker_faults worker_child)
resque_add_test(integration_backtrace LABELS integration worker
                SOURCES integration/backtrace_test.cpp)
# The same tests with resque::throw_trace linked: any exception's throw site is recorded.
resque_add_test(integration_throw_trace LABELS integration worker PREFIX throw_trace.
                SOURCES integration/backtrace_test.cpp DEFINES RESQUE_TEST_THROW_TRACE)
target_link_libraries(integration_throw_trace PRIVATE resque::throw_trace)
resque_add_test(integration_worker_pool LABELS integration worker
                SOURCES integration/worker_pool_test.cpp)
add_dependencies(integration_worker_pool worker_child)
resque_add_test(interop_worker LABELS interop worker
                SOURCES interop/worker_interop_test.cpp)
target_include_directories(interop_worker PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/integration)
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
resque_add_test(integration_worker_step PRIVATE LABELS integration worker faults
                SOURCES integration/worker_step_test.cpp)
# Real Ruby Resque as a peer: the drivers in tests/interop/ruby, the Ruby sources exported by
# scripts/ruby-peer.sh and found through RESQUE_RUBY_PEER_DIR (the tests skip, saying how to get
# them, when it is unset). Labels: interop and ruby.
target_sources(resque_test_support PRIVATE support/ruby_peer.cpp)
resque_add_test(interop_ruby_queue LABELS interop ruby queue
                SOURCES interop/ruby_queue_test.cpp)
resque_add_test(interop_ruby_worker LABELS interop ruby worker
                SOURCES interop/ruby_worker_test.cpp)
target_include_directories(interop_ruby_worker PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/integration)
add_dependencies(interop_ruby_worker sched_worker_child)
resque_add_test(interop_ruby_scheduler LABELS interop ruby scheduler
                SOURCES interop/ruby_scheduler_test.cpp)
resque_add_test(interop_ruby_plugins LABELS interop ruby plugins
                SOURCES interop/ruby_plugins_test.cpp)
target_include_directories(interop_ruby_plugins PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/integration)
# Embedding in a service (issue 15): shutdown from any thread, default logging, health, metrics.
resque_add_test(integration_embedding LABELS integration worker embedding
                SOURCES integration/embedding_test.cpp)
add_dependencies(integration_embedding sched_worker_child)
if(TARGET resque_prometheus)
  resque_add_test(integration_prometheus LABELS integration embedding
                  SOURCES integration/prometheus_test.cpp)
  target_link_libraries(integration_prometheus PRIVATE resque::prometheus)
endif()
if(RESQUE_BUILD_EXAMPLES)
  resque_add_test(integration_example_service LABELS integration embedding
                  SOURCES integration/example_service_test.cpp)
  target_compile_definitions(integration_example_service PRIVATE
    RESQUE_EMBEDDED_SERVICE_PATH="$<TARGET_FILE:resque_embedded_service>"
    $<$<TARGET_EXISTS:resque_prometheus>:RESQUE_TEST_PROMETHEUS>
    $<$<AND:$<TARGET_EXISTS:resque_prometheus>,$<TARGET_EXISTS:prometheus-cpp::pull>>:RESQUE_TEST_EXPOSER>)
  add_dependencies(integration_example_service resque_embedded_service)
endif()
# Hostile input (issue 12): JSON depth and size limits, payload size, redaction.
resque_add_test(unit_hostile PRIVATE LABELS unit hostile
                SOURCES hostile/limits_unit_test.cpp hostile/redact_unit_test.cpp)
resque_add_test(integration_hostile LABELS integration hostile faults
                SOURCES hostile/hostile_redis_test.cpp)
resque_add_test(interop_prune LABELS interop worker
                SOURCES interop/prune_interop_test.cpp)
add_dependencies(interop_prune sched_worker_child)
resque_add_test(integration_scheduler_index LABELS integration scheduler
                SOURCES integration/scheduler_index_test.cpp)
add_dependencies(integration_scheduler_index sched_worker_child)
# Redis Cluster (issue 14): three masters and three replicas started by the test
# (support/redis_cluster.cpp); MOVED/ASK, the hash-tag rule and a master failover mid-run.
target_sources(resque_test_support PRIVATE support/redis_cluster.cpp)
resque_add_test(integration_cluster LABELS integration connection faults cluster
                SOURCES integration/cluster_test.cpp)
