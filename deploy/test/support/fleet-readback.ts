/**
 * Reading back what a run left downstream, with clients independent of the code under test:
 * a plain kafkajs consumer for the bus topics (only the offsets this run produced), the
 * VictoriaMetrics export API for the stored samples, and better-sqlite3 (read-only) for the
 * edge's quarantine and loss ledger.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { fromBusValue, type EventRecord } from '@fleetwire/protocol';

/** topic → partition → offset (the next offset to be written: the high watermark). */
export type TopicOffsets = Record<string, Record<number, number>>;

export interface BusRead {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  headers: Record<string, string>;
  value: Buffer;
}

async function withAdmin<T>(brokers: string[], work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ clientId: 'fleetwire-e2e-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The high watermark of every partition of the topics that exist (absent topics are left out). */
export function topicEnds(brokers: string[], topics: readonly string[]): Promise<TopicOffsets> {
  return withAdmin(brokers, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const ends: TopicOffsets = {};
    for (const topic of topics.filter((t) => existing.has(t))) {
      ends[topic] = Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    }
    return ends;
  });
}

/**
 * Every message written between two snapshots of the high watermarks (a topic or partition
 * missing from `from` did not exist yet: read from 0). A throwaway group is pointed at `from`
 * before it joins, so nothing older is fetched, and deleted afterwards.
 */
export async function readBetween(brokers: string[], from: TopicOffsets, to: TopicOffsets, timeoutMs = 30_000): Promise<BusRead[]> {
  const groupId = `fleetwire-e2e-readback-${randomUUID()}`;
  const remaining = new Map<string, number>();
  for (const [topic, partitions] of Object.entries(to)) {
    for (const [partition, end] of Object.entries(partitions)) {
      if (end > (from[topic]?.[Number(partition)] ?? 0)) remaining.set(`${topic}/${partition}`, end);
    }
  }
  const topics = Object.keys(to);
  if (remaining.size === 0) return [];
  await withAdmin(brokers, async (admin) => {
    for (const topic of topics) {
      const partitions = Object.keys(to[topic] ?? {}).map((p) => ({ partition: Number(p), offset: String(from[topic]?.[Number(p)] ?? 0) }));
      await admin.setOffsets({ groupId, topic, partitions });
    }
  });
  const consumer = new Kafka({ clientId: 'fleetwire-e2e-reader', brokers, logLevel: logLevel.NOTHING }).consumer({ groupId });
  const messages: BusRead[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics });
    let finish: (error?: Error) => void = () => undefined;
    const finished = new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve())));
    const timer = setTimeout(() => finish(new Error(`bus read-back timed out; unread partitions: ${[...remaining.keys()].join(', ')}`)), timeoutMs);
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const key = `${topic}/${partition}`;
        const end = remaining.get(key);
        const offset = Number(message.offset);
        if (end === undefined || offset >= end) return;
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
        messages.push({ topic, partition, offset, key: message.key?.toString() ?? '', headers, value: message.value ?? Buffer.alloc(0) });
        if (offset >= end - 1) remaining.delete(key);
        if (remaining.size === 0) finish();
      },
    });
    await finished.finally(() => clearTimeout(timer));
    return messages;
  } finally {
    await consumer.disconnect();
    await withAdmin(brokers, (admin) => admin.deleteGroups([groupId])).catch(() => undefined);
  }
}

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** VictoriaMetrics: flush what was written, then export the raw samples of matching series in [startMs, endMs]. */
export async function exportSeries(url: string, selector: string, startMs: number, endMs: number): Promise<ExportedSeries[]> {
  await fetch(`${url}/internal/force_flush`);
  const query = new URLSearchParams({ 'match[]': selector, start: String(startMs / 1000), end: String(endMs / 1000) });
  const response = await fetch(`${url}/api/v1/export?${query}`);
  if (!response.ok) throw new Error(`VictoriaMetrics export answered ${response.status}: ${await response.text()}`);
  return (await response.text()).split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as ExportedSeries);
}

export interface QuarantineRow {
  reason: string;
  detail: string;
  topic: string | null;
  sourceId: string | null;
  bytes: Buffer;
}

/** The edge buffer's quarantine table and loss ledger (reason → count), opened read-only. */
export function readEdgeBuffer(file: string): { quarantine: QuarantineRow[]; lossLedger: Record<string, number> } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const quarantine = db
      .prepare('SELECT reason, detail, topic, source_id AS sourceId, bytes FROM quarantine ORDER BY qid')
      .all() as QuarantineRow[];
    const rows = db.prepare('SELECT reason, count FROM ledger').all() as Array<{ reason: string; count: number }>;
    return { quarantine, lossLedger: Object.fromEntries(rows.map((r) => [r.reason, r.count])) };
  } finally {
    db.close();
  }
}

/** Every event record on a topic (read from its start), one per id. */
export async function eventsOnKafka(brokers: string[], topic: string): Promise<EventRecord[]> {
  const messages = await readBetween(brokers, {}, await topicEnds(brokers, [topic]));
  return eventRecordsOf(messages.map((m) => m.value));
}

/** Deletes every topic whose name starts with `prefix` (a run's own, under its `topics.prefix`). */
export function deleteTopicsUnder(brokers: string[], prefix: string): Promise<void> {
  return withAdmin(brokers, async (admin) => {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  });
}

function eventRecordsOf(values: readonly Buffer[]): EventRecord[] {
  const records = values.flatMap((value) => {
    const record = fromBusValue(value);
    return record.ok && record.value.kind === 'event' ? [record.value] : [];
  });
  return [...new Map(records.map((r) => [r.id, r])).values()];
}

/** Every event record in an embedded bus log (the cloud must be stopped), one per id. */
export function eventsInLog(path: string): EventRecord[] {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'log_%'").pluck().all() as string[];
    return eventRecordsOf(tables.flatMap((table) => db.prepare(`SELECT value FROM "${table}"`).pluck().all() as Buffer[]));
  } finally {
    db.close();
  }
}
