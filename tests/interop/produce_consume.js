// kafkajs producer (acks=all, keys, headers) and consumer group against a broker: every
// message comes back once, with its key, value and headers, in order within each key.
// Usage: node produce_consume.js <bootstrap> <topic> <group> [--auto-create]
// --auto-create lets the producer's Metadata create the topic instead of the admin API
// (for the librdkafka mock stand-in, which has no CreateTopics).
'use strict';

const { client, eventually, expect, parseArgs, run } = require('./common');

const kMessages = 600;
const kKeys = 12;
const kBatch = 100;

function message(i) {
  return {
    key: `cart-${i % kKeys}`,
    value: JSON.stringify({ seq: i, sku: `tshirt-${i % 7}`, note: 'ünïcødé ✓' }),
    headers: { ce_type: 'shop.cart.item_added.v1', ce_id: `evt-${i}` },
  };
}

run(async () => {
  const args = parseArgs(['bootstrap', 'topic', 'group']);
  const kafka = client(args.bootstrap);

  if (!args.flags.has('--auto-create')) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: args.topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    await admin.disconnect();
  }

  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  for (let start = 0; start < kMessages; start += kBatch) {
    const messages = [];
    for (let i = start; i < Math.min(start + kBatch, kMessages); i += 1) messages.push(message(i));
    const results = await producer.send({ topic: args.topic, acks: -1, messages });
    for (const r of results) expect(r.errorCode === 0, `produce error ${r.errorCode}`);
  }
  await producer.disconnect();

  const received = [];
  const consumer = kafka.consumer({ groupId: args.group, sessionTimeout: 10000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic: args.topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message: m }) => {
      received.push({
        partition,
        key: m.key.toString(),
        value: m.value.toString(),
        headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, v.toString()])),
      });
    },
  });
  const complete = await eventually(async () => received.length >= kMessages, 300, 200);
  await consumer.disconnect();
  expect(complete, `consumed ${received.length} of ${kMessages} messages`);
  expect(received.length === kMessages, `consumed ${received.length} messages, want ${kMessages}`);

  const partitionOfKey = new Map();
  const seqsByKey = new Map();
  for (const r of received) {
    const seq = JSON.parse(r.value).seq;
    const want = message(seq);
    expect(r.key === want.key, `message ${seq}: key ${r.key}, want ${want.key}`);
    expect(r.value === want.value, `message ${seq}: value differs`);
    expect(JSON.stringify(r.headers) === JSON.stringify(want.headers),
      `message ${seq}: headers ${JSON.stringify(r.headers)}`);
    if (!partitionOfKey.has(r.key)) partitionOfKey.set(r.key, r.partition);
    expect(partitionOfKey.get(r.key) === r.partition, `key ${r.key} spread over partitions`);
    if (!seqsByKey.has(r.key)) seqsByKey.set(r.key, []);
    seqsByKey.get(r.key).push(seq);
  }
  for (const [key, seqs] of seqsByKey) {
    for (let i = 1; i < seqs.length; i += 1) {
      expect(seqs[i] > seqs[i - 1], `key ${key}: ${seqs[i]} after ${seqs[i - 1]}`);
    }
  }
  return { consumed: received.length, keys: seqsByKey.size };
});
