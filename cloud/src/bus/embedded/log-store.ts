/**
 * The embedded bus's durable log: one SQLite file, opened by one process (exclusive locking).
 *
 * On-disk layout
 *   topics(name PK, id UNIQUE, partitions, created_at)          — the catalog; a topic's partition
 *                                                                  count is fixed when it is created
 *   log_{topicId}_{partition}(offset INTEGER PK, key, value BLOB, — one append-only table per
 *       headers JSON, size, appended_at)                           topic-partition
 *   group_offsets(group_id, topic, partition, next_offset)      — a group's committed position:
 *                                                                  the next offset it will read
 *
 * Invariants
 * - Durability: `append` writes all its messages in one transaction; with WAL and
 *   synchronous=FULL the WAL is fsynced before it returns, so a resolved produce survives a power cut.
 * - Offsets in a partition are dense when written and only ever grow. Retention deletes from the
 *   oldest end but never the newest record of a partition, so `max(offset) + 1` is always the
 *   next offset, also after a restart.
 * - Retention (age, then size per partition) ignores consumer positions, as Kafka does: a group
 *   behind the log start reads on from the oldest record still there (the read is `offset >= next`).
 * - Compacted topics (`COMPACTED_TOPICS`: the services' checkpoints) keep the newest record of each
 *   key: an append deletes the older ones of its key in the same transaction, and retention leaves
 *   them alone (Kafka's `cleanup.policy=compact`, done eagerly).
 */
import { BUS_TOPICS } from '@fleetwire/protocol';
import Database from 'better-sqlite3';
import type { BusMessage, DeliveredMessage } from '../bus.js';
import { CloudError } from '../../errors.js';
import { partitionForKey } from './partitioner.js';

/** Topics that keep only the newest record of each key. */
export const COMPACTED_TOPICS: ReadonlySet<string> = new Set([BUS_TOPICS.checkpoints]);

interface PartitionTable {
  readonly insert: Database.Statement;
  readonly compact: Database.Statement;
  readonly read: Database.Statement;
  readonly table: string;
}

interface TopicEntry {
  readonly compacted: boolean;
  readonly partitions: number;
  readonly tables: PartitionTable[];
  readonly nextOffsets: number[];
}

interface StoredRow {
  offset: number;
  key: string;
  value: Buffer;
  headers: string;
  appended_at: number;
}

export interface LogStore {
  /** Creates the topic with `partitions` when missing; returns its partition count. */
  ensureTopic(topic: string, partitions: number): number;
  /** All messages in one committed transaction; topics must exist. */
  append(messages: readonly BusMessage[]): void;
  read(topic: string, partition: number, fromOffset: number, limit: number): DeliveredMessage[];
  endOffset(topic: string, partition: number): number;
  /** The topic's partition count, or undefined when it does not exist. */
  partitionsOf(topic: string): number | undefined;
  committedOffset(groupId: string, topic: string, partition: number): number | undefined;
  /** Sets the group's position only when it has none (where a new group starts). */
  initOffset(groupId: string, topic: string, partition: number, nextOffset: number): void;
  commitOffset(groupId: string, topic: string, partition: number, nextOffset: number): void;
  /** Deletes records past the age or size limit; returns how many. */
  applyRetention(now: number, maxAgeMs: number, maxBytes: number): number;
  close(): void;
}

export function openLogStore(path: string): LogStore {
  const db = openLogFile(path);
  db.exec(`
    CREATE TABLE IF NOT EXISTS topics (
      name TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE, partitions INTEGER NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS group_offsets (
      group_id TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
      PRIMARY KEY (group_id, topic, partition)) WITHOUT ROWID;
  `);
  const selectTopic = db.prepare<[string], { id: number; partitions: number }>('SELECT id, partitions FROM topics WHERE name = ?');
  const insertTopic = db.prepare('INSERT INTO topics (name, id, partitions, created_at) VALUES (?, (SELECT coalesce(max(id), 0) + 1 FROM topics), ?, ?)');
  const selectCommitted = db.prepare<[string, string, number], { next_offset: number }>(
    'SELECT next_offset FROM group_offsets WHERE group_id = ? AND topic = ? AND partition = ?');
  const insertOffset = db.prepare('INSERT OR IGNORE INTO group_offsets (group_id, topic, partition, next_offset) VALUES (?, ?, ?, ?)');
  const upsertOffset = db.prepare(
    'INSERT INTO group_offsets (group_id, topic, partition, next_offset) VALUES (?, ?, ?, ?) ' +
      'ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset');
  const topics = new Map<string, TopicEntry>();

  const openPartition = (topicId: number, partition: number): { table: PartitionTable; next: number } => {
    const name = `log_${topicId}_${partition}`;
    db.exec(`CREATE TABLE IF NOT EXISTS ${name} (
      offset INTEGER PRIMARY KEY, key TEXT NOT NULL, value BLOB NOT NULL, headers TEXT NOT NULL,
      size INTEGER NOT NULL, appended_at INTEGER NOT NULL)`);
    const max = db.prepare<[], { max: number | null }>(`SELECT max(offset) AS max FROM ${name}`).get();
    return {
      table: {
        table: name,
        insert: db.prepare(`INSERT INTO ${name} (offset, key, value, headers, size, appended_at) VALUES (?, ?, ?, ?, ?, ?)`),
        read: db.prepare(`SELECT offset, key, value, headers, appended_at FROM ${name} WHERE offset >= ? ORDER BY offset LIMIT ?`),
        compact: db.prepare(`DELETE FROM ${name} WHERE key = ? AND offset < ?`),
      },
      next: (max?.max ?? -1) + 1,
    };
  };

  const loadTopic = (topic: string, row: { id: number; partitions: number }): TopicEntry => {
    const opened = Array.from({ length: row.partitions }, (_, p) => openPartition(row.id, p));
    const entry = { compacted: COMPACTED_TOPICS.has(topic), partitions: row.partitions, tables: opened.map((o) => o.table), nextOffsets: opened.map((o) => o.next) };
    topics.set(topic, entry);
    return entry;
  };

  const topicEntry = (topic: string): TopicEntry => {
    const cached = topics.get(topic);
    if (cached !== undefined) return cached;
    const row = selectTopic.get(topic);
    if (row === undefined) throw new Error(`embedded log: unknown topic ${topic}`);
    return loadTopic(topic, row);
  };

  const appendAll = db.transaction((messages: readonly BusMessage[], now: number, nextOffsets: Map<TopicEntry, number[]>) => {
    for (const message of messages) {
      const entry = topicEntry(message.topic);
      const partition = partitionForKey(message.key, entry.partitions);
      let offsets = nextOffsets.get(entry);
      if (offsets === undefined) nextOffsets.set(entry, (offsets = [...entry.nextOffsets]));
      const offset = offsets[partition] as number;
      offsets[partition] = offset + 1;
      const headers = JSON.stringify(message.headers);
      const size = Buffer.byteLength(message.key) + message.value.length + Buffer.byteLength(headers);
      const table = entry.tables[partition] as PartitionTable;
      table.insert.run(offset, message.key, message.value, headers, size, now);
      if (entry.compacted) table.compact.run(message.key, offset);
    }
  });

  const retainPartition = (table: string, cutoffTime: number, maxBytes: number): number => {
    const newest = db.prepare<[], { max: number | null }>(`SELECT max(offset) AS max FROM ${table}`).get()?.max;
    if (newest === null || newest === undefined) return 0;
    const byAge = db.prepare(`DELETE FROM ${table} WHERE appended_at < ? AND offset < ?`).run(cutoffTime, newest).changes;
    const cutoff = db
      .prepare<[number], { offset: number }>(
        `SELECT offset FROM (SELECT offset, sum(size) OVER (ORDER BY offset DESC) AS tail FROM ${table})
         WHERE tail > ? ORDER BY offset DESC LIMIT 1`)
      .get(maxBytes);
    const bySize = cutoff === undefined ? 0 : db.prepare(`DELETE FROM ${table} WHERE offset <= ? AND offset < ?`).run(cutoff.offset, newest).changes;
    return byAge + bySize;
  };

  return {
    ensureTopic(topic, partitions) {
      const existing = topics.get(topic) ?? selectTopic.get(topic);
      if (existing !== undefined) return existing.partitions;
      insertTopic.run(topic, partitions, Date.now());
      return topicEntry(topic).partitions;
    },
    append(messages) {
      const nextOffsets = new Map<TopicEntry, number[]>();
      appendAll(messages, Date.now(), nextOffsets);
      // Only after the commit: a failed transaction must not advance the in-memory offsets.
      for (const [entry, offsets] of nextOffsets) offsets.forEach((o, p) => (entry.nextOffsets[p] = o));
    },
    read(topic, partition, fromOffset, limit) {
      const table = topicEntry(topic).tables[partition] as PartitionTable;
      return (table.read.all(fromOffset, limit) as StoredRow[]).map((row) => ({
        topic, partition, offset: String(row.offset), key: row.key, value: row.value,
        headers: JSON.parse(row.headers) as Record<string, string>, timestamp: row.appended_at,
      }));
    },
    partitionsOf(topic) {
      return (topics.get(topic) ?? selectTopic.get(topic))?.partitions;
    },
    endOffset(topic, partition) {
      return topicEntry(topic).nextOffsets[partition] as number;
    },
    committedOffset(groupId, topic, partition) {
      return selectCommitted.get(groupId, topic, partition)?.next_offset;
    },
    initOffset(groupId, topic, partition, nextOffset) {
      insertOffset.run(groupId, topic, partition, nextOffset);
    },
    commitOffset(groupId, topic, partition, nextOffset) {
      upsertOffset.run(groupId, topic, partition, nextOffset);
    },
    applyRetention(now, maxAgeMs, maxBytes) {
      const names = db.prepare<[], { name: string }>('SELECT name FROM topics').all();
      let deleted = 0;
      for (const { name } of names) {
        const entry = topicEntry(name);
        if (entry.compacted) continue;
        for (const { table } of entry.tables) deleted += retainPartition(table, now - maxAgeMs, maxBytes);
      }
      return deleted;
    },
    close() {
      db.close();
    },
  };
}

/**
 * A log file the service cannot use (not a database, corrupt, held by another running cloud,
 * on a read-only disk) is said with its path and what to do, not as a raw SQLite error.
 */
function openLogFile(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // EXCLUSIVE makes a second cloud on the same data folder fail here instead of sharing offsets.
    db.pragma('locking_mode = EXCLUSIVE');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (cause) {
    db?.close();
    const busy = (cause as { code?: string }).code === 'SQLITE_BUSY';
    const hint = busy ? 'another cloud is running on this data folder' : 'move the file aside to start an empty log, or fix the data folder';
    throw new CloudError('FW_BUS_CONFIG_INVALID', `cannot use the embedded bus log ${path}: ${(cause as Error).message} (${hint})`, { cause });
  }
}
