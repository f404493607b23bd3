// Used by resque-cpp's worker interop tests: node-resque's Queue.enqueue writes jobs that a
// C++ worker must perform.
//   REDIS_PORT=<port> node worker_enqueue.js <queue> <class> <count>
// Enqueues <count> jobs with args [i, "node"], i = 0..count-1, and prints "RESULT <count>".
const { Queue } = require("node-resque");

async function main() {
  const [queueName, klass, count] = process.argv.slice(2);
  const queue = new Queue({
    connection: { host: "127.0.0.1", port: Number(process.env.REDIS_PORT), namespace: "resque" },
  });
  await queue.connect();
  let n = 0;
  for (let i = 0; i < Number(count); i++) {
    if (await queue.enqueue(queueName, klass, [i, "node"])) n++;
  }
  await queue.end();
  console.log("RESULT " + JSON.stringify(n));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
