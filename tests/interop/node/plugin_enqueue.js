// node plugin_enqueue.js <queue> <class> <argsJSON> <pluginsCSV> [pluginOptionsJSON]
// Enqueues one job through node-resque's Queue with the given bundled plugins and prints
// {"enqueued":true|false}.
"use strict";
const { Queue } = require("node-resque");
const { connectionDetails, pluginList } = require("./plugin_common");

async function main() {
  const [queue, cls, argsJson, pluginsCsv, optionsJson] = process.argv.slice(2);
  const jobs = {
    [cls]: {
      plugins: pluginList(pluginsCsv),
      pluginOptions: optionsJson ? JSON.parse(optionsJson) : {},
      perform: async () => null,
    },
  };
  const q = new Queue({ connection: connectionDetails() }, jobs);
  q.on("error", (e) => console.error("queue error", e));
  await q.connect();
  const enqueued = await q.enqueue(queue, cls, JSON.parse(argsJson));
  console.log(JSON.stringify({ enqueued: enqueued !== false }));
  await q.end();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
