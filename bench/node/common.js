// Shared helpers of the node-resque side of resque_bench. Each script prints exactly one JSON
// line on stdout (its figures); anything else goes to stderr.
"use strict";
const fs = require("fs");

// --key value pairs; numeric values become numbers.
function args() {
  const out = {};
  const a = process.argv.slice(2);
  for (let i = 0; i + 1 < a.length; i += 2) {
    const k = a[i].replace(/^--/, "").replace(/-/g, "_");
    const v = a[i + 1];
    out[k] = /^-?[0-9.]+$/.test(v) ? Number(v) : v;
  }
  return out;
}

function connection(a) {
  return {
    pkg: "ioredis",
    host: a.host || "127.0.0.1",
    port: a.port,
    namespace: a.namespace || "resque",
  };
}

// Peak resident set size of this process in KiB (the kernel's VmHWM).
function vmhwmKb() {
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) : null;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Milliseconds with sub-millisecond resolution on one clock for the whole process.
function nowMs() {
  return performance.timeOrigin + performance.now();
}

function print(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function fail(e) {
  process.stderr.write(`node bench: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
}

module.exports = { args, connection, vmhwmKb, sleep, nowMs, print, fail };
