// Used by resque-cpp's worker interop tests: what node-resque's Queue sees of C++ workers.
//   REDIS_PORT=<port> node worker_inspect.js inspect
//     prints "RESULT {workers, allWorkingOn, failedCount, failed}"
//   REDIS_PORT=<port> node worker_inspect.js retry-failed
//     retryAndRemoveFailed on every failed entry (removes it by its re-serialised bytes and
//     enqueues the job again); prints "RESULT <number retried>"
const { Queue } = require("node-resque");

async function main() {
  const command = process.argv[2];
  const queue = new Queue({
    connection: { host: "127.0.0.1", port: Number(process.env.REDIS_PORT), namespace: "resque" },
  });
  await queue.connect();
  let result;
  if (command === "inspect") {
    result = {
      workers: await queue.workers(),
      allWorkingOn: await queue.allWorkingOn(),
      failedCount: await queue.failedCount(),
      failed: await queue.failed(0, -1),
    };
  } else if (command === "retry-failed") {
    let n = 0;
    for (const entry of await queue.failed(0, -1)) {
      await queue.retryAndRemoveFailed(entry);
      n++;
    }
    result = n;
  } else {
    throw new Error("unknown command " + command);
  }
  await queue.end();
  console.log("RESULT " + JSON.stringify(result));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
