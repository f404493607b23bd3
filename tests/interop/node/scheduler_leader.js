// A node-resque scheduler competing for leadership; prints "LEADER <name>" / "FOLLOWER <name>"
// when its leader flag changes and keeps resque:test:claims[<name>] = "1"/"0" in step.
// usage: node scheduler_leader.js <port> <name> <leaderLockTimeout s> <poll ms>
const { Scheduler } = require("node-resque");

async function main() {
  const [port, name, lockTimeout, pollMs] = process.argv.slice(2);
  const scheduler = new Scheduler({
    connection: { host: "127.0.0.1", port: Number(port) },
    name,
    timeout: Number(pollMs),
    leaderLockTimeout: Number(lockTimeout),
    stuckWorkerTimeout: false,
  });
  let shown = null;
  const show = async () => {
    if (shown === scheduler.leader) return;
    shown = scheduler.leader;
    await scheduler.connection.redis.hset("resque:test:claims", name, shown ? "1" : "0");
    console.log((shown ? "LEADER " : "FOLLOWER ") + name);
  };
  scheduler.on("error", (e) => console.error("error", String(e)));
  await scheduler.connect();
  // The leader flag is updated inside poll(); look at it often.
  setInterval(() => show().catch(() => {}), 20);
  await scheduler.start();
  console.log("READY");
  const stop = async () => {
    await scheduler.end();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
