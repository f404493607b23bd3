// A node-resque MultiWorker of --workers task processors (min = max) draining a queue the
// benchmark pre-filled with exactly --jobs no-op jobs. MultiWorker adds one processor per
// checkTimeout (500 ms) while the event loop is not lagging, so the figure is the steady rate
// once every processor runs (jobs_per_s), with the rate from start() alongside
// (jobs_per_s_overall). Prints peak RSS too.
// Usage: node multiworker.js --port P --jobs N --queue Q --workers 8
"use strict";
const { MultiWorker } = require("node-resque");
const { args, connection, vmhwmKb, sleep, print, fail } = require("./common");

(async () => {
  const a = args();
  const n = a.workers || 8;
  let done = 0;
  let full = null; // {t, done} when the n-th processor started
  let finish;
  const finished = new Promise((r) => (finish = r));
  const jobs = {
    NoopJob: {
      perform: async () => {
        if (++done === a.jobs) finish(performance.now());
      },
    },
  };
  const mw = new MultiWorker(
    { connection: connection(a), queues: [a.queue], minTaskProcessors: n, maxTaskProcessors: n },
    jobs
  );
  mw.on("error", fail);
  mw.on("start", () => {
    if (mw.workers.length === n && full === null) full = { t: performance.now(), done };
  });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  mw.start();
  const t1 = await finished;
  const cpu = process.cpuUsage(cpu0);
  let steady = null;
  if (full !== null && a.jobs - full.done > 0 && t1 > full.t)
    steady = (a.jobs - full.done) / ((t1 - full.t) / 1000);
  const overall = a.jobs / ((t1 - t0) / 1000);
  const reached = mw.workers.length;
  while (mw.workers.some((w) => w.working)) await sleep(2);
  await mw.end();
  print({
    jobs: a.jobs,
    cpu_us: cpu.user + cpu.system,
    seconds: (t1 - t0) / 1000,
    jobs_per_s: steady !== null ? steady : overall,
    jobs_per_s_overall: overall,
    jobs_at_full_strength: full ? a.jobs - full.done : 0,
    processors_reached: reached,
    vmhwm_kb: vmhwmKb(),
  });
})().catch(fail);
