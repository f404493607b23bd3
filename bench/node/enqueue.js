// node-resque Queue#enqueue, one awaited call per job (its MULTI of SADD + RPUSH).
// Usage: node enqueue.js --port P --jobs N --queue Q
"use strict";
const { Queue } = require("node-resque");
const { args, connection, print, fail } = require("./common");

(async () => {
  const a = args();
  const queue = new Queue({ connection: connection(a) }, {});
  queue.on("error", fail);
  await queue.connect();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < a.jobs; i++) await queue.enqueue(a.queue, "NoopJob", [i]);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await queue.end();
  print({ jobs: a.jobs, cpu_us: cpu.user + cpu.system, seconds, jobs_per_s: a.jobs / seconds });
})().catch(fail);
