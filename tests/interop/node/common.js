// Shared bits of resque-cpp's node-resque driver scripts (tests/interop/node/*.js).
// Our own test code: it only *uses* node-resque from npm.
//
// Every driver: connects to 127.0.0.1:$REDIS_PORT (namespace $RESQUE_NAMESPACE, default
// "resque"), prints exactly one JSON object on its last stdout line, ends its connections and
// exits by itself. A hard timeout ($DRIVER_TIMEOUT_MS, default 30000) makes it exit with
// status 3 instead of hanging. Exit status: 0 done, 1 operation failed, 2 usage, 3 timeout.
"use strict";

function connection() {
  const port = parseInt(process.env.REDIS_PORT || "6379", 10);
  return {
    host: "127.0.0.1",
    port,
    namespace: process.env.RESQUE_NAMESPACE || "resque",
    options: {
      // Fail instead of retrying for ever when the server is gone.
      connectTimeout: 5000,
      maxRetriesPerRequest: 2,
      retryStrategy: (times) => (times > 5 ? null : 100),
    },
  };
}

function print(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function usage(text) {
  print({ error: "usage: " + text });
  process.exit(2);
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    usage(`${what} must be JSON (${e.message}): ${text}`);
  }
}

function errorText(err) {
  return String(err && err.message ? err.message : err);
}

// For the "error" events of node-resque objects that the driver has no other use for (an
// unhandled "error" event would crash node without the JSON line).
function fatal(err) {
  print({ error: errorText(err) });
  process.exit(1);
}

// Runs main(), prints its result (or {"error": ...}) and exits. stdout is a file or a pipe
// here, both written synchronously on Linux, so process.exit loses nothing.
function run(main) {
  const limit = parseInt(process.env.DRIVER_TIMEOUT_MS || "30000", 10);
  const timer = setTimeout(() => {
    print({ error: `timeout after ${limit} ms` });
    process.exit(3);
  }, limit);
  timer.unref();
  main()
    .then((result) => {
      if (result !== undefined) print(result);
      process.exit(0);
    })
    .catch((err) => {
      fatal(err);
    });
}

// "A,B" -> Set{A,B}
function classSet(name) {
  return new Set((process.env[name] || "").split(",").filter((s) => s.length > 0));
}

module.exports = { connection, print, usage, parseJson, run, classSet, fatal, errorText };
