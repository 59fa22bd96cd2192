/**
 * Reads topics back with a plain kafkajs consumer — independent of the bus under test — until
 * `done` says enough arrived or the time is up. Each call uses a fresh group from the beginning.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

export interface ReadMessage {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export async function readTopics(
  brokers: string[],
  topics: string[],
  done: (messages: ReadMessage[]) => boolean,
  timeoutMs = 30_000,
): Promise<ReadMessage[]> {
  const kafka = new Kafka({ clientId: 'fleetwire-cloud-test-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `test-reader-${randomUUID()}` });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        );
        messages.push({ topic, key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0), headers });
        if (done(messages)) finish();
      },
    });
    const timer = setTimeout(finish, timeoutMs);
    await finished;
    clearTimeout(timer);
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * The test servers start Kafka with a freshly formatted data folder, so a restarted test broker
 * has lost its topics, which a production broker keeps. This puts them back, so that a restart
 * looks like a real one as far as topics go.
 */
export async function restoreTopics(brokers: string[], topics: string[], numPartitions = 6): Promise<void> {
  const admin = new Kafka({ clientId: 'fleetwire-cloud-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    // As many partitions as the cloud created them with (its default): the cloud checks the count at start.
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: topic.endsWith('.dlq') ? 3 : numPartitions })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
