import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isRetryable } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { chainEntry, formatHead, GENESIS_HASH, parseHead, verifyChain, type AuditEntry, type AuditInput } from './audit-chain.js';
import { openSqliteAuditLog } from './sqlite-audit-log.js';

const input = (n: number, subject = `vehicle:VH-000${n % 3}`): AuditInput => ({
  at: 1_750_000_000_000 + n * 1000, action: 'return_verdict', actor: 'edge:node-1', subject, detail: { verdict: n % 2 === 0 ? 'accepted' : 'review', n }, ref: `ref-${n}`,
});

function chain(count: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let n = 1; n <= count; n += 1) entries.push(chainEntry(entries.at(-1) ?? null, input(n)));
  return entries;
}

const freshLog = () => openSqliteAuditLog(join(mkdtempSync(join(tmpdir(), 'fw-audit-')), 'audit.sqlite'));

describe('audit chain', () => {
  it('links every entry to the one before it, from the genesis hash', () => {
    const entries = chain(5);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(entries.slice(1).every((e, i) => e.prevHash === entries[i]!.hash)).toBe(true);
    expect(verifyChain(entries)).toEqual({ ok: true, entries: 5, head: { seq: 5, hash: entries[4]!.hash }, problems: [] });
    expect(verifyChain([])).toEqual({ ok: true, entries: 0, head: null, problems: [] });
  });

  it('names a modified entry, whichever field changed', () => {
    for (const change of [{ detail: '{"verdict":"accepted","n":3}' }, { subject: 'vehicle:VH-0009' }, { at: 1 }, { actor: 'edge:other' }, { action: 'fraud_flag' }]) {
      const entries = chain(5);
      entries[2] = { ...entries[2]!, ...change };
      expect(verifyChain(entries).problems, JSON.stringify(change)).toEqual(['entry 3: hash does not match its content']);
    }
  });

  it('names a removed entry, and one rewritten with a fresh hash breaks the next link', () => {
    const entries = chain(5);
    expect(verifyChain([...entries.slice(0, 2), ...entries.slice(3)]).problems).toEqual([
      'entry 4: follows entry 2 (entries 3–3 are missing)',
      'entry 4: its previous hash is not the hash of entry 2',
    ]);
    const rewritten = chainEntry(entries[1]!, { ...input(3), detail: { verdict: 'accepted', n: 3 } });
    expect(verifyChain([entries[0]!, entries[1]!, rewritten, entries[3]!, entries[4]!]).problems).toEqual(['entry 4: its previous hash is not the hash of entry 3']);
  });

  it('detects entries cut off the end only against a head kept elsewhere', () => {
    const entries = chain(5);
    const head = parseHead(formatHead({ seq: 5, hash: entries[4]!.hash }))!;
    expect(verifyChain(entries.slice(0, 4)).ok).toBe(true);
    expect(verifyChain(entries.slice(0, 4), head).problems).toEqual(['the recorded head, entry 5, is no longer in the log (newest is 4): entries were cut off']);
    expect(verifyChain(entries, head).ok).toBe(true);
    expect(verifyChain(chain(6), { seq: 5, hash: 'f'.repeat(64) }).problems[0]).toMatch(/^entry 5: is not the recorded head/);
    expect(parseHead('5:abc')).toBeUndefined();
  });
});

describe('SQLite audit log', () => {
  it('appends durably in sequence, records an operation once by ref, and answers by subject and time', () => {
    const log = freshLog();
    for (let n = 1; n <= 6; n += 1) expect(log.append(input(n)).appended).toBe(true);
    const again = log.append(input(2));
    expect([again.appended, again.entry.seq]).toEqual([false, 2]);
    expect(log.head()?.seq).toBe(6);
    expect(log.query({ subject: 'vehicle:VH-0001', limit: 100 }).map((e) => e.seq)).toEqual([1, 4]);
    expect(log.query({ from: 1_750_000_000_000 + 2000, to: 1_750_000_000_000 + 5000, limit: 100 }).map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(log.query({ limit: 2 }).map((e) => e.seq)).toEqual([1, 2]);
    expect(verifyChain(log.entries()).ok).toBe(true);
    log.close();
  });

  it('keeps one chain when two handles (the cloud and the command line) append in turn', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fw-audit-')), 'audit.sqlite');
    const cloud = openSqliteAuditLog(path);
    const cli = openSqliteAuditLog(path);
    for (let n = 1; n <= 6; n += 1) (n % 2 === 0 ? cli : cloud).append(input(n));
    const report = verifyChain(cloud.entries());
    expect([report.ok, report.entries]).toEqual([true, 6]);
    cloud.close();
    cli.close();
  });

  it('turns a write the database refused into a retryable coded error, so the recorder retries instead of dead-lettering', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fw-audit-')), 'audit.sqlite');
    const log = openSqliteAuditLog(path);
    log.append(input(1));
    const db = new Database(path);
    db.exec("CREATE TRIGGER refuse_insert BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk refused'); END");
    let error: unknown;
    try {
      log.append(input(2));
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'FW_AUDIT_WRITE_FAILED', canRetry: true });
    expect(isRetryable(error)).toBe(true);
    db.exec('DROP TRIGGER refuse_insert');
    db.close();
    expect(log.append(input(2)).appended).toBe(true);
    log.close();
  });

  it('refuses UPDATE and DELETE; a change made around the triggers is caught by verify', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fw-audit-')), 'audit.sqlite');
    const log = openSqliteAuditLog(path);
    for (let n = 1; n <= 4; n += 1) log.append(input(n));
    log.close();
    const db = new Database(path);
    expect(() => db.prepare("UPDATE audit_log SET detail = '{}' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(/append-only/);
    db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete');
    db.prepare(`UPDATE audit_log SET detail = '{"verdict":"rejected","n":2}' WHERE seq = 2`).run();
    db.close();
    const reopened = openSqliteAuditLog(path);
    expect(verifyChain(reopened.entries()).problems).toEqual(['entry 2: hash does not match its content']);
    reopened.close();
  });
});
