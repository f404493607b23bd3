// node-resque points of resque_scale_bench (bench/scale.cpp), against the same redis-server.
// Prints one JSON line.
//
//   node scale.js --port P --mode queues --which 1|100|* --jobs N
//     The benchmark filled 1,000 queues (q0000..q0999 in `queues`) with N no-op jobs in the
//     last one. One Worker on that queue, on the last 100 or on "*" performs them (timed from
//     start() to the last perform).
//   node scale.js --port P --mode payload --bytes B --jobs N
//     Queue#enqueue of N jobs with one string argument of B bytes (awaited one at a time), then
//     one Worker performs them: enqueue and perform rates.
"use strict";
const { Queue, Worker } = require("node-resque");
const { args, connection, sleep, print, fail } = require("./common");

async function drain(a, queues, jobs, check) {
  let done = 0;
  let finish;
  const finished = new Promise((r) => (finish = r));
  const worker = new Worker(
    // timeout: the pause between polls of an idle worker (default 5 s); short so the start is
    // not what is measured.
    { connection: connection(a), queues, timeout: 5 },
    {
      NoopJob: { perform: async () => { if (++done === jobs) finish(performance.now()); } },
      BigJob: {
        perform: async (s) => {
          check(s);
          if (++done === jobs) finish(performance.now());
        },
      },
    },
  );
  worker.on("error", fail);
  worker.on("failure", (q, job, f) => fail(f));
  await worker.connect();
  const t0 = performance.now();
  await worker.start();
  const t1 = await finished;
  while (worker.working) await sleep(2);
  // The measurement is over: a poll that races end() may see its connection closed.
  worker.removeAllListeners("error");
  worker.on("error", () => {});
  await worker.end().catch(() => {});
  return (t1 - t0) / 1000;
}

(async () => {
  const a = args();
  if (a.mode === "queues") {
    let queues;
    const names = [];
    for (let i = 0; i < 1000; i++) names.push("q" + String(i).padStart(4, "0"));
    const which = String(a.which);
    if (which === "1") queues = [names[999]];
    else if (which === "100") queues = names.slice(900);
    else queues = "*";
    const seconds = await drain(a, queues, a.jobs, () => {});
    print({ jobs: a.jobs, seconds, jobs_per_s: a.jobs / seconds });
  } else if (a.mode === "payload") {
    const arg = "x".repeat(a.bytes);
    const queue = new Queue({ connection: connection(a) }, {});
    queue.on("error", fail);
    await queue.connect();
    const redisCpu = async () => {
      const info = await queue.connection.redis.info("cpu");
      const f = (k) => Number(new RegExp(k + ":([0-9.]+)").exec(info)[1]);
      return f("used_cpu_user") + f("used_cpu_sys");
    };
    const r0 = await redisCpu();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < a.jobs; i++) await queue.enqueue("bench_big_node", "BigJob", [arg]);
    const te = (performance.now() - t0) / 1000;
    const ce = process.cpuUsage(c0);
    const re = (await redisCpu()) - r0;
    await queue.end();
    const tp = await drain(a, ["bench_big_node"], a.jobs, (s) => {
      if (s.length !== a.bytes) throw new Error("short payload");
    });
    const mb = (a.bytes * a.jobs) / 1e6;
    print({
      jobs: a.jobs,
      enqueue_mb_s: mb / te,
      perform_mb_s: mb / tp,
      jobs_per_s: a.jobs / tp,
      redis_enqueue_us: (re / a.jobs) * 1e6,
      client_enqueue_us: (ce.user + ce.system) / a.jobs,
    });
  } else {
    throw new Error("--mode queues|payload");
  }
})()
  .then(() => process.exit(0))
  .catch(fail);
