// Shared by the plugin_*.js drivers of resque-cpp's plugin interop tests.
// Connection: REDIS_HOST (default 127.0.0.1), REDIS_PORT (default 6379), namespace "resque".
"use strict";
const { Connection } = require("node-resque");

function connectionDetails() {
  return {
    host: process.env.REDIS_HOST || "127.0.0.1",
    port: parseInt(process.env.REDIS_PORT || "6379", 10),
    namespace: "resque",
  };
}

// "QueueLock,JobLock" -> ["QueueLock", "JobLock"] (node-resque's bundled plugins by name).
function pluginList(csv) {
  return (csv || "").split(",").filter((s) => s.length > 0);
}

// Counts concurrent performs across node and resque-cpp workers: interop:running is the
// number running now, interop:max_running the highest seen.
const ENTER = `
local n = redis.call('INCR', KEYS[1])
if n > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], n) end
return n`;

module.exports = { connectionDetails, pluginList, ENTER, Connection };
