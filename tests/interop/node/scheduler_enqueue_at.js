// node-resque enqueueAt, for resque-cpp's scheduler interop tests.
// usage: node scheduler_enqueue_at.js <port> <timestamp ms> <queue> <class> <args JSON>
const { Queue } = require("node-resque");

async function main() {
  const [port, ts, queueName, klass, args] = process.argv.slice(2);
  const queue = new Queue({ connection: { host: "127.0.0.1", port: Number(port) } });
  await queue.connect();
  await queue.enqueueAt(Number(ts), queueName, klass, JSON.parse(args));
  console.log(JSON.stringify({ enqueued: true }));
  await queue.end();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
