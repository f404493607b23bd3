// node enqueue_at.js <timestamp ms> <queue> <class> '<json args>' [suppressDuplicate]
// Queue#enqueueAt; prints {"enqueued":true|null,"timestamp_s":S} (S as node computes it,
// Math.round(ms/1000)). A duplicate without suppression fails with node's error text.
"use strict";
const { Queue } = require("node-resque");
const { connection, usage, parseJson, run, fatal } = require("./common");

const [tsText, q, cls, argsText, suppress] = process.argv.slice(2);
if (!tsText || !q || !cls)
  usage("enqueue_at.js <timestamp ms> <queue> <class> '<json args>' [suppressDuplicate]");
const ts = Number(tsText);
const args = argsText === undefined ? [] : parseJson(argsText, "args");

run(async () => {
  const queue = new Queue({ connection: connection() });
  queue.on("error", fatal);
  await queue.connect();
  try {
    const enqueued = await queue.enqueueAt(ts, q, cls, args, suppress === "true");
    return { enqueued: enqueued === undefined ? null : enqueued, timestamp_s: Math.round(ts / 1000) };
  } finally {
    await queue.end();
  }
});
