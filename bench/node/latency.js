// Pickup latency of an idle node-resque Worker polling every --timeout ms: jobs are enqueued
// one at a time at random gaps of --gap-min..--gap-max ms, each carrying its enqueue time; the
// perform records start - enqueue. Prints p50 and p99 in ms.
// Usage: node latency.js --port P --queue Q --timeout 5000 --samples 8 --gap-min 1 --gap-max 5000
"use strict";
const { Queue, Worker } = require("node-resque");
const { args, connection, nowMs, sleep, print, fail } = require("./common");

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

(async () => {
  const a = args();
  const lat = [];
  const jobs = {
    LatencyJob: {
      perform: async (enqueuedAtMs) => {
        lat.push(nowMs() - enqueuedAtMs);
      },
    },
  };
  const worker = new Worker({ connection: connection(a), queues: [a.queue], timeout: a.timeout }, jobs);
  worker.on("error", fail);
  const queue = new Queue({ connection: connection(a) }, {});
  queue.on("error", fail);
  await queue.connect();
  await worker.connect();
  let polled;
  const firstPause = new Promise((r) => (polled = r));
  worker.on("pause", () => polled());
  await worker.start();
  await firstPause; // idle: its first poll found nothing
  for (let i = 0; i < a.samples; i++) {
    await sleep(a.gap_min + Math.random() * (a.gap_max - a.gap_min));
    await queue.enqueue(a.queue, "LatencyJob", [nowMs()]);
  }
  const deadline = nowMs() + 3 * a.timeout + 5000;
  while (lat.length < a.samples && nowMs() < deadline) await sleep(5);
  while (worker.working) await sleep(2);
  await worker.end();
  await queue.end();
  const sorted = lat.slice().sort((x, y) => x - y);
  print({
    samples: lat.length,
    timeout_ms: a.timeout,
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    max_ms: sorted.length ? sorted[sorted.length - 1] : null,
  });
})().catch(fail);
