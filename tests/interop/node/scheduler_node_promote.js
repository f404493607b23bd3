// Runs a node-resque scheduler until no delayed timestamp is left (or a timeout), then ends.
// usage: node scheduler_node_promote.js <port> <timeout ms>
const { Scheduler, Queue } = require("node-resque");

async function main() {
  const [port, timeoutMs] = process.argv.slice(2);
  const connection = { host: "127.0.0.1", port: Number(port) };
  const scheduler = new Scheduler({ connection, timeout: 50, stuckWorkerTimeout: false });
  const queue = new Queue({ connection });
  const transferred = [];
  scheduler.on("transferredJob", (ts, job) => transferred.push({ ts, job }));
  scheduler.on("error", (e) => console.error("error", String(e)));
  await scheduler.connect();
  await queue.connect();
  await scheduler.start();
  const deadline = Date.now() + Number(timeoutMs);
  for (;;) {
    const left = await queue.timestamps();
    if (left.length === 0 && transferred.length > 0) break;
    if (Date.now() > deadline) {
      console.log(JSON.stringify({ transferred, timeout: true }));
      process.exit(2);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await scheduler.end();
  await queue.end();
  console.log(JSON.stringify({ transferred }));
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
