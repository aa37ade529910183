// kafkajs admin against a broker: create a topic with partitions, see it listed with them,
// delete it, see it gone. Usage: node admin.js <bootstrap> <topic>
'use strict';

const { client, eventually, expect, parseArgs, run } = require('./common');

run(async () => {
  const args = parseArgs(['bootstrap', 'topic']);
  const admin = client(args.bootstrap).admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic: args.topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    expect(created === true, `createTopics returned ${created}`);

    const listed = await eventually(async () => (await admin.listTopics()).includes(args.topic));
    expect(listed, `${args.topic} not in listTopics after creation`);
    const metadata = await admin.fetchTopicMetadata({ topics: [args.topic] });
    const partitions = metadata.topics[0].partitions.length;
    expect(partitions === 3, `${args.topic} has ${partitions} partitions, want 3`);

    let duplicate = null;
    try {
      await admin.createTopics({ topics: [{ topic: args.topic, numPartitions: 1 }] });
    } catch (error) {
      duplicate = error;
    }
    // kafkajs reports TOPIC_ALREADY_EXISTS either as `false` or as an error naming it.
    expect(duplicate === null || /already exists/i.test(String(duplicate.message)),
      `second createTopics failed unexpectedly: ${duplicate && duplicate.message}`);

    await admin.deleteTopics({ topics: [args.topic], timeout: 10000 });
    const gone = await eventually(async () => !(await admin.listTopics()).includes(args.topic));
    expect(gone, `${args.topic} still listed after deleteTopics`);
    return { created: args.topic, partitions };
  } finally {
    await admin.disconnect();
  }
});
