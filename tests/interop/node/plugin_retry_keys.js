// node plugin_retry_keys.js <JSON array of args arrays> [class]
// Prints, per args array, node-resque's Retry keys as the plugin computes them:
// [{"retry":"resque:resque-retry:...","failure":"resque:failure-resque-retry:..."}, ...]
"use strict";
const { Retry } = require("node-resque/dist/plugins/Retry");
const { Connection } = require("node-resque");

const all = JSON.parse(process.argv[2]);
const cls = process.argv[3] || "ExportJob";
// connection.key() uses nothing but the namespace option; no Redis is contacted.
const connection = Object.create(Connection.prototype);
connection.options = { namespace: "resque" };
const fakeWorker = { queueObject: { connection } };
const out = all.map((args) => {
  const p = new Retry(fakeWorker, cls, "exports", {}, args, {});
  return { retry: p.retryKey(), failure: p.failureKey() };
});
console.log(JSON.stringify(out));
