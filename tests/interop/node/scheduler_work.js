// A node-resque worker that performs `count` jobs of any class on one queue, recording each
// job's args in the list interop:performed, then exits. Exits 2 after `timeout_ms`.
// usage: node scheduler_work.js <port> <queue> <class> <count> <timeout ms>
const { Worker } = require("node-resque");

async function main() {
  const [port, queueName, klass, count, timeoutMs] = process.argv.slice(2);
  const connection = { host: "127.0.0.1", port: Number(port) };
  let done = 0;
  const jobs = {
    [klass]: {
      perform: async (...args) => {
        await worker.connection.redis.rpush("resque:interop:performed", JSON.stringify(args));
        return true;
      },
    },
  };
  const worker = new Worker({ connection, queues: [queueName], timeout: 50 }, jobs);
  worker.on("success", async () => {
    done += 1;
    if (done >= Number(count)) {
      await worker.end();
      console.log(JSON.stringify({ performed: done }));
      process.exit(0);
    }
  });
  worker.on("failure", (q, job, err) => console.error("failure", JSON.stringify(job), String(err)));
  worker.on("error", (err) => console.error("error", String(err)));
  setTimeout(() => {
    console.log(JSON.stringify({ performed: done, timeout: true }));
    process.exit(2);
  }, Number(timeoutMs));
  await worker.connect();
  await worker.start();
  console.log("READY");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
