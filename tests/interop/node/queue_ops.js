// node queue_ops.js <method> ['<json array of arguments>']
// Calls one node-resque Queue method and prints {"result": <its resolved value>}.
// Meant for: del, delDelayed, scheduledAt, delayedAt, failed, removeFailed,
// retryAndRemoveFailed, queued, and the other Queue methods (queues, length, timestamps,
// allDelayed, locks, delLock, workers, allWorkingOn, stats, failedCount, delQueue,
// delByFunction, leader, encode, cleanOldWorkers, forceCleanWorker, retryStuckJobs).
// A method that throws prints {"error": message} and exits 1.
"use strict";
const { Queue } = require("node-resque");
const { connection, usage, parseJson, run, fatal } = require("./common");

const [method, argsText] = process.argv.slice(2);
const forbidden = new Set(["constructor", "connect", "end"]);
if (!method || forbidden.has(method) || typeof Queue.prototype[method] !== "function")
  usage("queue_ops.js <Queue method> ['<json array of arguments>']");
const args = argsText === undefined ? [] : parseJson(argsText, "arguments");
if (!Array.isArray(args)) usage("the arguments must be a JSON array");

run(async () => {
  const queue = new Queue({ connection: connection() });
  queue.on("error", fatal);
  await queue.connect();
  try {
    const result = await queue[method](...args);
    return { result: result === undefined ? null : result };
  } finally {
    await queue.end();
  }
});
