// Shared by the kafkajs interoperability scripts: argument parsing, a kafkajs client with
// bounded retries, a hard deadline for the whole script, and the one-line JSON verdict that
// tests/integration/kafkajs_test.cpp reads from stdout.
'use strict';

const { Kafka, logLevel } = require('kafkajs');

const kDeadlineMs = 90000;

function parseArgs(names) {
  const values = process.argv.slice(2);
  const args = {};
  names.forEach((name, i) => {
    if (values[i] === undefined) {
      fail(`usage: node ${process.argv[1]} ${names.map((n) => `<${n}>`).join(' ')}`);
    }
    args[name] = values[i];
  });
  args.flags = new Set(values.slice(names.length));
  return args;
}

function client(bootstrap) {
  return new Kafka({
    clientId: 'velocity-interop-kafkajs',
    brokers: [bootstrap],
    connectionTimeout: 5000,
    requestTimeout: 15000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 },
    logLevel: logLevel.ERROR,
  });
}

// Resolves once check() returns true, polling at most `attempts` times.
async function eventually(check, attempts = 50, intervalMs = 200) {
  for (let i = 0; i < attempts; i += 1) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return false;
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

function fail(message) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(message) })}\n`);
  process.exit(1);
}

// Runs main() with a hard deadline; prints {"ok":true,...} on success.
function run(main) {
  const timer = setTimeout(() => fail(`deadline of ${kDeadlineMs} ms exceeded`), kDeadlineMs);
  main()
    .then((summary) => {
      clearTimeout(timer);
      process.stdout.write(`${JSON.stringify({ ok: true, ...summary })}\n`);
      process.exit(0);
    })
    .catch((error) => fail(error && error.stack ? error.stack : error));
}

module.exports = { client, eventually, expect, parseArgs, run };
