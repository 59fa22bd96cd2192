/**
 * Open OCPP transactions, durable: a StopTransaction needs its start (connector, meter start,
 * time) to become a ChargingSessionStopped, and may come after a restart or a kill -9 — or,
 * from a charger that was offline, long after. One SQLite table beside the buffer
 * (`{dataDir}/ocpp.sqlite`, synchronous FULL); a row is written once its StartTransaction is
 * committed to the buffer and deleted once its StopTransaction is.
 */
import Database from 'better-sqlite3';
import type { OpenTransaction } from './translate.js';

export interface TransactionStore {
  open(chargerId: string, transaction: OpenTransaction): void;
  get(chargerId: string, transactionId: number): OpenTransaction | undefined;
  close(chargerId: string, transactionId: number): void;
  shutdown(): void;
}

export function createTransactionStore(path: string): TransactionStore {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS transactions (
    charger_id TEXT NOT NULL, transaction_id INTEGER NOT NULL, connector_id INTEGER NOT NULL,
    meter_start_wh REAL NOT NULL, started_at INTEGER NOT NULL, PRIMARY KEY (charger_id, transaction_id)
  ) WITHOUT ROWID`);
  const insert = db.prepare('INSERT OR IGNORE INTO transactions VALUES (?, ?, ?, ?, ?)');
  const select = db.prepare<[string, number], { connector_id: number; meter_start_wh: number; started_at: number }>(
    'SELECT connector_id, meter_start_wh, started_at FROM transactions WHERE charger_id = ? AND transaction_id = ?',
  );
  const remove = db.prepare('DELETE FROM transactions WHERE charger_id = ? AND transaction_id = ?');
  return {
    open(chargerId, t) {
      insert.run(chargerId, t.transactionId, t.connectorId, t.meterStartWh, t.startedAt);
    },
    get(chargerId, transactionId) {
      const row = select.get(chargerId, transactionId);
      return row === undefined ? undefined : { transactionId, connectorId: row.connector_id, meterStartWh: row.meter_start_wh, startedAt: row.started_at };
    },
    close(chargerId, transactionId) {
      remove.run(chargerId, transactionId);
    },
    shutdown() {
      db.close();
    },
  };
}
