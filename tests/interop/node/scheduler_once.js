// node scheduler_once.js
// One node-resque Scheduler poll: take the leader lock, promote every due delayed job (node's
// Math.round(now/1000) rule), run the stuck-worker check, release the lock, end.
// Prints {"scheduler","leader","transferred":[{"timestamp","job"}],"cleanStuckWorker":[...],
// "errors":[...],"ended":"drained"}.
// Environment: SCHEDULER_NAME, STUCK_WORKER_TIMEOUT_MS (node default 3600000),
// RETRY_STUCK_JOBS=true.
"use strict";
const { Scheduler } = require("node-resque");
const { connection, run, errorText } = require("./common");

run(async () => {
  const options = { connection: connection() };
  if (process.env.SCHEDULER_NAME) options.name = process.env.SCHEDULER_NAME;
  if (process.env.STUCK_WORKER_TIMEOUT_MS)
    options.stuckWorkerTimeout = parseInt(process.env.STUCK_WORKER_TIMEOUT_MS, 10);
  if (process.env.RETRY_STUCK_JOBS === "true") options.retryStuckJobs = true;
  const scheduler = new Scheduler(options, {});
  const report = { scheduler: scheduler.name, leader: false, transferred: [], cleanStuckWorker: [], errors: [] };
  scheduler.on("leader", () => (report.leader = true));
  scheduler.on("transferredJob", (timestamp, job) => report.transferred.push({ timestamp, job }));
  scheduler.on("cleanStuckWorker", (workerName, errorPayload, delta) =>
    report.cleanStuckWorker.push({ workerName, errorPayload, delta }),
  );
  scheduler.on("error", (err) => report.errors.push(errorText(err)));
  await scheduler.connect();
  try {
    // Not start()ed, so poll() does its work once and schedules nothing after it.
    await scheduler.poll();
  } finally {
    await scheduler.end();
  }
  report.ended = "drained";
  return report;
});
