// node work_once.js <queue> [queue...]
// A node-resque Worker on the given queues (priority order) that performs jobs until a poll
// pass finds every queue empty, then ends (untrack, disconnect). Each performed job is also
// RPUSHed on the un-namespaced list `interop:performed` as
// {"class","queue","args","worker","at_ms","result":null} before perform returns.
// Prints {"worker","success":[...],"failure":[...],"reEnqueue":[...],"errors":[...],"ended"}.
//
// Environment:
//   WORKER_NAME        worker name (default node's hostname:pid)
//   JOB_CLASSES        "A,B": only these classes are defined (others fail as unknown);
//                      unset: every class is defined
//   FAIL_CLASSES       perform throws Error("boom")
//   SLOW_CLASSES, SLOW_MS   perform waits SLOW_MS (default 3000) first
//   QUEUELOCK_CLASSES, JOBLOCK_CLASSES, RETRY_CLASSES   add node-resque's plugin
//   RETRY_LIMIT (2), RETRY_DELAY_MS (1000)   Retry plugin options
//   MIN_JOBS           keep polling until this many jobs finished (default 0)
//   WORKER_TIMEOUT_MS  node's poll/ping interval (default 100)
"use strict";
const { Worker } = require("node-resque");
const { connection, usage, run, classSet, errorText } = require("./common");

const queues = process.argv.slice(2);
if (queues.length === 0) usage("work_once.js <queue> [queue...]");

const onlyClasses = process.env.JOB_CLASSES === undefined ? null : classSet("JOB_CLASSES");
const failClasses = classSet("FAIL_CLASSES");
const slowClasses = classSet("SLOW_CLASSES");
const slowMs = parseInt(process.env.SLOW_MS || "3000", 10);
const queueLock = classSet("QUEUELOCK_CLASSES");
const jobLock = classSet("JOBLOCK_CLASSES");
const retry = classSet("RETRY_CLASSES");
const minJobs = parseInt(process.env.MIN_JOBS || "0", 10);

function definition(cls, worker) {
  const plugins = [];
  const pluginOptions = {};
  if (queueLock.has(cls)) plugins.push("QueueLock");
  if (jobLock.has(cls)) plugins.push("JobLock");
  if (retry.has(cls)) {
    plugins.push("Retry");
    pluginOptions.Retry = {
      retryLimit: parseInt(process.env.RETRY_LIMIT || "2", 10),
      retryDelay: parseInt(process.env.RETRY_DELAY_MS || "1000", 10),
    };
  }
  return {
    plugins,
    pluginOptions,
    perform: async (...args) => {
      await worker.connection.redis.rpush(
        "interop:performed",
        JSON.stringify({
          class: cls,
          queue: worker.queue,
          args,
          worker: worker.name,
          at_ms: Date.now(),
          result: null,
        }),
      );
      if (slowClasses.has(cls)) await new Promise((r) => setTimeout(r, slowMs));
      if (failClasses.has(cls)) throw new Error("boom");
      return null;
    },
  };
}

run(async () => {
  const options = {
    connection: connection(),
    queues,
    timeout: parseInt(process.env.WORKER_TIMEOUT_MS || "100", 10),
  };
  if (process.env.WORKER_NAME) options.name = process.env.WORKER_NAME;
  const worker = new Worker(options, {});
  // Job definitions made on first use, so the driver can run any class it finds.
  const defs = new Map();
  worker.jobs = new Proxy(
    {},
    {
      get(_target, prop) {
        if (typeof prop !== "string") return undefined;
        if (onlyClasses !== null && !onlyClasses.has(prop)) return undefined;
        if (!defs.has(prop)) defs.set(prop, definition(prop, worker));
        return defs.get(prop);
      },
    },
  );

  const report = { worker: worker.name, success: [], failure: [], reEnqueue: [], errors: [] };
  worker.on("success", (queue, job, result, duration) =>
    report.success.push({ queue, class: job.class, args: job.args, duration }),
  );
  worker.on("failure", (queue, job, err) =>
    report.failure.push({ queue, class: job.class, args: job.args, error: String(err && err.message) }),
  );
  worker.on("reEnqueue", (queue, job, info) =>
    report.reEnqueue.push({ queue, class: job.class, args: job.args, delay: info && info.delay }),
  );
  worker.on("error", (err) => report.errors.push(errorText(err)));

  const finished = new Promise((resolve) => {
    worker.on("pause", () => {
      const done = report.success.length + report.failure.length + report.reEnqueue.length;
      if (done < minJobs) return;
      // After pause() armed its poll timer, so that end() clears it.
      setImmediate(() => worker.end().then(resolve, resolve));
    });
  });

  await worker.connect();
  await worker.start();
  await finished;
  report.ended = "empty";
  return report;
});
