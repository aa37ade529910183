// kafkajs joins a consumer group that a librdkafka member (`kcat -G`, roundrobin assignor)
// already belongs to. Both clients' subscription and assignment blobs must be understood by the
// other, whichever is leader, so kafkajs offers the same protocol name ("roundrobin") with its
// own round-robin assignor. Once kafkajs holds some but not all partitions, it produces
// <messages> messages over all partitions, consumes those of its own partitions, commits them
// and leaves. Prints {"ok":true,"partitions":[...],"received":n}.
// Usage: node group_mixed.js <bootstrap> <topic> <group> <partitions> <messages>
'use strict';

const { PartitionAssigners } = require('kafkajs');
const { client, eventually, expect, parseArgs, run } = require('./common');

function roundrobin({ cluster }) {
  // The built-in assignor reads its name through `this`, so renaming is enough.
  return Object.assign(PartitionAssigners.roundRobin({ cluster }), { name: 'roundrobin' });
}

run(async () => {
  const args = parseArgs(['bootstrap', 'topic', 'group', 'partitions', 'messages']);
  const partitions = Number(args.partitions);
  const messages = Number(args.messages);
  const kafka = client(args.bootstrap);

  const consumer = kafka.consumer({
    groupId: args.group,
    partitionAssigners: [roundrobin],
    sessionTimeout: 10000,
    heartbeatInterval: 500,
  });
  let assigned = null;
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    assigned = (event.payload.memberAssignment[args.topic] || []).slice().sort((a, b) => a - b);
  });
  const received = new Map();
  await consumer.connect();
  await consumer.subscribe({ topic: args.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      received.set(`${partition}:${message.offset}`, { partition, offset: Number(message.offset) });
    },
  });
  const shared = await eventually(
    async () => assigned !== null && assigned.length > 0 && assigned.length < partitions, 150, 200);
  expect(shared, `kafkajs never shared the group with kcat; last assignment ${JSON.stringify(assigned)}`);
  const mine = assigned;

  const producer = kafka.producer();
  await producer.connect();
  const batch = [];
  for (let i = 0; i < messages; i += 1) batch.push({ partition: i % partitions, value: `mixed-${i}` });
  await producer.send({ topic: args.topic, acks: -1, messages: batch });
  await producer.disconnect();

  const want = batch.filter((m) => mine.includes(m.partition)).length;
  const complete = await eventually(async () => received.size >= want, 150, 200);
  expect(complete, `kafkajs received ${received.size} of the ${want} messages of partitions ${mine}`);
  expect(JSON.stringify(assigned) === JSON.stringify(mine), `assignment changed to ${assigned}`);
  for (const { partition } of received.values()) {
    expect(mine.includes(partition), `message of partition ${partition}, not assigned to kafkajs`);
  }
  const next = new Map();
  for (const { partition, offset } of received.values()) {
    next.set(partition, Math.max(next.get(partition) || 0, offset + 1));
  }
  await consumer.commitOffsets(
    [...next].map(([partition, offset]) => ({ topic: args.topic, partition, offset: String(offset) })));
  await consumer.disconnect();
  expect(received.size === want, `kafkajs received ${received.size} messages, want ${want}`);
  return { partitions: mine, received: received.size };
});
