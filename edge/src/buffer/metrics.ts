/**
 * The group commit's time, read from `buffer.stats().commits` at scrape time: how many groups,
 * how many writes in them, and where their latency went (collecting, the COMMIT, waiting for the
 * fsync to start, the fsync). A slow disk shows as `sync`, an event loop too busy to commit as
 * `transaction`, small groups as few writes per group.
 */
import { Counter, type Registry } from 'prom-client';
import type { CommitStats, RecordBuffer } from './buffer.js';

const PHASES = { collect: 'collectMs', transaction: 'transactionMs', sync_wait: 'syncWaitMs', sync: 'syncMs' } as const satisfies Record<string, keyof CommitStats>;

export function registerCommitMetrics(registry: Registry, buffer: RecordBuffer): void {
  const registers = [registry];
  // Each counter follows a running sum of the buffer by the difference since its last scrape.
  const follower = (key: keyof CommitStats, scale = 1) => {
    let seen = 0;
    return (): number => {
      const now = buffer.stats().commits?.[key] ?? seen;
      const delta = now - seen;
      seen = now;
      return delta * scale;
    };
  };
  const counter = (name: string, help: string, key: keyof CommitStats): void => {
    const next = follower(key);
    new Counter({ name, help, registers, collect() { this.inc(next()); } });
  };
  counter('fleetwire_buffer_commit_groups_total', 'Group-commit transactions', 'groups');
  counter('fleetwire_buffer_commit_writes_total', 'Records and quarantine entries committed in those transactions', 'writes');
  counter('fleetwire_buffer_wal_syncs_total', 'fdatasyncs of the WAL that made group commits durable', 'syncs');
  const phases = Object.entries(PHASES).map(([phase, key]) => [phase, follower(key, 1 / 1000)] as const);
  new Counter({
    name: 'fleetwire_buffer_commit_seconds_total',
    help: 'Summed time of the group commit by phase: collect (first write → COMMIT), transaction (the COMMIT) and sync_wait (COMMIT → its fsync starts) per group; sync per fsync',
    labelNames: ['phase'],
    registers,
    collect() {
      for (const [phase, next] of phases) this.inc({ phase }, next());
    },
  });
}
