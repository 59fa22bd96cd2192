/**
 * kafkajs vs @platformatic/kafka on a real broker, for the bus's choice of client (docs/bus.md).
 *
 *   npx tsx cloud/bench/kafka-clients.ts [--records 200000] [--warmup 30000] [--batch 500] [--in-flight 1,4,8]
 *     [--clients bus,kafkajs,platformatic] [--skip-restart] [--skip-rebalance] [--port 29092]
 *
 * Starts a private single-node Kafka (from @fleetwire/test-servers), then for each client (kafka-bench-clients.ts),
 * after `--warmup` untimed records (a fresh JVM and a cold client would penalise whoever goes first):
 * 1. throughput — keyed produce, acks=all, idempotent, ~300-byte records in batches of `--batch`,
 *    with each `--in-flight` number of batches in flight; the topic is read back: unique, duplicates;
 * 2. broker restart — produce continuously (batches of 100, each re-sent until acknowledged, as
 *    the edge does), restart the broker, then read the topic back: errors, lost, duplicated;
 * 3. rebalance — two group members join and leave while consuming; lost and re-delivered records
 *    (for clients with their own consumer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startBenchBroker, type BenchBroker } from '@fleetwire/test-servers';
import { kafkajsProducer, platformaticKafka, theBus, type BenchRecord, type ClientUnderTest } from './kafka-bench-clients.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    warmup: { type: 'string', default: '30000' },
    batch: { type: 'string', default: '500' },
    'in-flight': { type: 'string', default: '1,4,8' },
    clients: { type: 'string', default: 'bus,kafkajs,platformatic' },
    'skip-restart': { type: 'boolean', default: false },
    'skip-rebalance': { type: 'boolean', default: false },
    port: { type: 'string', default: '29092' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`Usage: npx tsx cloud/bench/kafka-clients.ts [options]

kafkajs vs @platformatic/kafka vs the bus's own producer on a private single-node Kafka
(@fleetwire/test-servers; never the shared test broker). Prints figures; not a test.

  --records N          records per throughput run (default 200000; 30000 takes a few minutes on 2 cores)
  --warmup N           untimed records per client first (default 30000)
  --batch N            records per send (default 500)
  --in-flight 1,4,8    sends in flight, one throughput run each (default 1,4,8)
  --clients LIST       any of bus,kafkajs,platformatic (default all three)
  --skip-restart       skip the broker-restart run
  --skip-rebalance     skip the consumer-group rebalance run
  --port P             private broker's port; the controller takes P+1 (default 29092)`);
  process.exit(0);
}
const RECORDS = Number(args.records);
const BATCH = Number(args.batch);
const IN_FLIGHT = args['in-flight'].split(',').map(Number);
const CLIENTS: Record<string, (brokers: string[]) => ClientUnderTest> = { bus: theBus, kafkajs: kafkajsProducer, platformatic: platformaticKafka };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function makeRecords(prefix: string, from: number, count: number): BenchRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const key = `VH-${String(n % 1000).padStart(4, '0')}`;
    const id = `${prefix}:${key}:${n}`;
    const body = JSON.stringify({ id, key, ts: 1_700_000_000_000 + n, socPct: 50 + (n % 50), speedKph: n % 120 });
    return { key, id, value: Buffer.from(body.padEnd(300, ' ')) };
  });
}

/** Every fw-id in the topic, read with a plain kafkajs consumer (neutral to the producing client). */
async function readBack(brokers: string[], topic: string): Promise<string[]> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  const consumer = kafka.consumer({ groupId: `readback-${topic}` });
  const ids: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch }) => { for (const m of batch.messages) ids.push(m.headers?.['fw-id']?.toString() ?? ''); } });
  const deadline = Date.now() + 60_000;
  while (ids.length < total && Date.now() < deadline) await sleep(100);
  await consumer.disconnect();
  return ids;
}

async function warmUp(client: ClientUnderTest): Promise<void> {
  const topic = `bench-warmup-${Date.now()}`;
  await client.createTopic(topic, 6);
  const records = makeRecords(topic, 0, Number(args.warmup));
  for (let i = 0; i < records.length; i += BATCH) await client.send(topic, records.slice(i, i + BATCH));
}

async function throughput(client: ClientUnderTest, brokers: string[], inFlight: number): Promise<void> {
  const topic = `bench-tp-${inFlight}-${Date.now()}`;
  await client.createTopic(topic, 6);
  const records = makeRecords(topic, 0, RECORDS);
  const batches: BenchRecord[][] = [];
  for (let i = 0; i < records.length; i += BATCH) batches.push(records.slice(i, i + BATCH));
  await client.send(topic, makeRecords('warmup', 0, 10));
  const started = process.hrtime.bigint();
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (let b = next++; b < batches.length; b = next++) {
      await client.send(topic, batches[b] as BenchRecord[]).catch((error: unknown) => {
        errors += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      });
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ids = await readBack(brokers, topic);
  const unique = new Set(ids.filter((id) => id.startsWith(topic)));
  console.log(`  throughput, ${inFlight} batch(es) in flight: ${Math.round(RECORDS / seconds).toLocaleString('en')} records/s ` +
    `(${(RECORDS * 300 / seconds / 1e6).toFixed(1)} MB/s, ${seconds.toFixed(2)} s); errors ${errors}; ` +
    `in topic ${unique.size}/${RECORDS} unique, ${ids.length - 10 - unique.size} duplicates` +
    (firstError === undefined ? '' : `; first error: ${firstError}`));
}

async function restart(client: ClientUnderTest, broker: BenchBroker): Promise<void> {
  const topic = `bench-restart-${Date.now()}`;
  await client.createTopic(topic, 6);
  const acked = new Set<string>();
  let stop = false;
  let errors = 0;
  let slowestFailureMs = 0;
  let seq = 0;
  const producing = (async () => {
    while (!stop) {
      const batch = makeRecords(topic, seq, 100);
      seq += 100;
      for (;;) {
        const t0 = Date.now();
        try {
          await client.send(topic, batch);
          batch.forEach((r) => acked.add(r.id));
          break;
        } catch {
          errors += 1;
          slowestFailureMs = Math.max(slowestFailureMs, Date.now() - t0);
          await sleep(200);
        }
      }
    }
  })();
  await sleep(3000);
  const { downMs } = await broker.restart();
  await sleep(3000);
  stop = true;
  await producing;
  const ids = await readBack([broker.address], topic);
  const seen = new Set(ids);
  const lost = [...acked].filter((id) => !seen.has(id)).length;
  console.log(`  broker restart (${(downMs / 1000).toFixed(1)} s down): acked ${acked.size}, failed sends ${errors} ` +
    `(slowest failure ${slowestFailureMs} ms), lost ${lost}, duplicated ${ids.length - seen.size}`);
}

async function rebalance(client: ClientUnderTest, join: NonNullable<ClientUnderTest['join']>): Promise<void> {
  const topic = `bench-rebalance-${Date.now()}`;
  const total = 30_000;
  await client.createTopic(topic, 6);
  for (let i = 0; i < total; i += 500) await client.send(topic, makeRecords(topic, i, 500));
  const deliveries: string[] = [];
  const handle = async (ids: string[]) => {
    await sleep(5);
    deliveries.push(...ids);
  };
  const groupId = `bench-group-${Date.now()}`;
  const a = await join(groupId, topic, handle);
  while (new Set(deliveries).size < total / 3) await sleep(20);
  const b = await join(groupId, topic, handle);
  while (new Set(deliveries).size < (2 * total) / 3) await sleep(20);
  await a.close();
  const deadline = Date.now() + 60_000;
  while (new Set(deliveries).size < total && Date.now() < deadline) await sleep(50);
  await b.close();
  const unique = new Set(deliveries).size;
  console.log(`  rebalance (join, then leave, ${total} records): lost ${total - unique}, re-delivered ${deliveries.length - unique}`);
}

const dir = mkdtempSync(join(tmpdir(), 'fw-kafka-bench-'));
const broker = await startBenchBroker(dir, Number(args.port));
try {
  for (const name of args.clients.split(',')) {
    const make = CLIENTS[name];
    if (make === undefined) throw new Error(`unknown client ${name}; known: ${Object.keys(CLIENTS).join(', ')}`);
    const client = make([broker.address]);
    console.log(client.name);
    await warmUp(client);
    for (const inFlight of IN_FLIGHT) await throughput(client, [broker.address], inFlight);
    if (!args['skip-restart']) await restart(client, broker);
    if (!args['skip-rebalance'] && client.join !== undefined) await rebalance(client, client.join.bind(client));
    await client.close();
  }
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
