// One node-resque Worker draining a queue the benchmark pre-filled with exactly --jobs no-op
// jobs. Timed from connect() to the last job's perform; prints jobs/s and the process's peak RSS.
// Usage: node worker.js --port P --jobs N --queue Q
"use strict";
const { Worker } = require("node-resque");
const { args, connection, vmhwmKb, sleep, print, fail } = require("./common");

(async () => {
  const a = args();
  let done = 0;
  let finish;
  const finished = new Promise((r) => (finish = r));
  const jobs = {
    NoopJob: {
      perform: async () => {
        if (++done === a.jobs) finish(performance.now());
      },
    },
  };
  const worker = new Worker({ connection: connection(a), queues: [a.queue] }, jobs);
  worker.on("error", fail);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await worker.connect();
  await worker.start();
  const t1 = await finished;
  const cpu = process.cpuUsage(cpu0);
  const seconds = (t1 - t0) / 1000;
  // end() waits in steps of `timeout` (5 s) while a job is in progress: let the last one close.
  while (worker.working) await sleep(2);
  await worker.end();
  print({ jobs: a.jobs, cpu_us: cpu.user + cpu.system, seconds, jobs_per_s: a.jobs / seconds, vmhwm_kb: vmhwmKb() });
})().catch(fail);
