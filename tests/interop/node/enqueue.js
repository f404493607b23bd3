// node enqueue.js <queue> <class> '<json args>'
// Queue#enqueue; prints {"enqueued":true|false,"queue":Q,"class":C}.
"use strict";
const { Queue } = require("node-resque");
const { connection, usage, parseJson, run, fatal } = require("./common");

const [q, cls, argsText] = process.argv.slice(2);
if (!q || !cls) usage("enqueue.js <queue> <class> '<json args>'");
const args = argsText === undefined ? [] : parseJson(argsText, "args");

run(async () => {
  const queue = new Queue({ connection: connection() });
  queue.on("error", fatal);
  await queue.connect();
  try {
    const enqueued = await queue.enqueue(q, cls, args);
    return { enqueued, queue: q, class: cls };
  } finally {
    await queue.end();
  }
});
