import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EdgeError } from './errors.js';
import { openSqliteFile } from './sqlite-file.js';

const folder = () => mkdtempSync(join(tmpdir(), 'fw-sqlite-file-'));
const open = (path: string, prepare = (db: { pragma(sql: string): unknown }) => void db.pragma('journal_mode = WAL')) =>
  openSqliteFile({ path, what: 'buffer database', code: 'FW_BUFFER_UNUSABLE', prepare });

describe('openSqliteFile', () => {
  it('opens (and creates the folder of) a new file', () => {
    const db = open(join(folder(), 'deeper', 'buffer.sqlite'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('names the file, the SQLite reason and what to do when the file is not a database', () => {
    const path = join(folder(), 'buffer.sqlite');
    writeFileSync(path, Buffer.alloc(8192, 'not sqlite '));
    expect(() => open(path)).toThrow(EdgeError);
    expect(() => open(path)).toThrow(`cannot use buffer database ${path}: file is not a database (move the file aside`);
    try {
      open(path);
    } catch (error) {
      expect((error as EdgeError).code).toBe('FW_BUFFER_UNUSABLE');
    }
  });

  it('says to check the data folder when its place is taken by a file', () => {
    const blocker = join(folder(), 'data');
    writeFileSync(blocker, 'a file, not a folder');
    expect(() => open(join(blocker, 'buffer.sqlite'))).toThrow(/cannot use buffer database .*EEXIST.*check that the data folder exists/);
  });

  it('passes an EdgeError of the preparation on unchanged', () => {
    const newer = new EdgeError('FW_BUFFER_OPTIONS_INVALID', 'buffer database schema 9 is newer than this agent (2)');
    expect(() => open(join(folder(), 'b.sqlite'), () => { throw newer; })).toThrow(newer);
  });
});
