// node plugin_worker.js <queue> <class> <pluginsCSV> [pluginOptionsJSON]
// A node-resque Worker for one job class with the given bundled plugins. The job:
//   - counts itself in interop:running / interop:max_running (see plugin_common.js),
//   - RPUSHes {"by":"node","args":[...]} on interop:performed,
//   - with HOLD_KEY set, waits until that key exists (the test releases it),
//   - with FAIL=1, throws Error("boom") at the end.
// Prints one line per worker event ("event job", "event success", ...). With ONCE=1 it exits
// after the first success or failure; otherwise it runs until SIGTERM.
"use strict";
const { Worker } = require("node-resque");
const { connectionDetails, pluginList, ENTER } = require("./plugin_common");

async function main() {
  const [queue, cls, pluginsCsv, optionsJson] = process.argv.slice(2);
  const hold = process.env.HOLD_KEY;
  const fail = process.env.FAIL === "1";
  let worker;
  const jobs = {
    [cls]: {
      plugins: pluginList(pluginsCsv),
      pluginOptions: optionsJson ? JSON.parse(optionsJson) : {},
      perform: async (...args) => {
        const redis = worker.connection.redis;
        await redis.eval(ENTER, 2, "resque:interop:running", "resque:interop:max_running");
        await redis.rpush("resque:interop:performed", JSON.stringify({ by: "node", args }));
        console.log("performing " + JSON.stringify(args));
        if (hold) {
          while (!(await redis.exists(hold))) await new Promise((r) => setTimeout(r, 10));
        }
        await redis.decr("resque:interop:running");
        if (fail) throw new Error("boom");
        return null;
      },
    },
  };
  worker = new Worker({ connection: connectionDetails(), queues: [queue], timeout: 20 }, jobs);
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    await worker.end();
    process.exit(code);
  };
  for (const ev of ["job", "success", "failure", "reEnqueue", "error"]) {
    worker.on(ev, (...a) => {
      console.log("event " + ev);
      if (process.env.ONCE === "1" && (ev === "success" || ev === "failure")) stop(0);
    });
  }
  process.on("SIGTERM", () => stop(0));
  await worker.connect();
  await worker.start();
  console.log("started " + worker.name);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
