/**
 * The edge's durable memory of commands (SQLite, `{dataDir}/commands.sqlite`, WAL, synchronous
 * FULL): every command taken from the cloud with its state, and the cloud's sequence number of
 * the last one stored. Both change in one transaction, so after a crash the edge asks the cloud
 * again for exactly the commands it had not stored — and a command it had stored (even one
 * the cloud hands out again) is found here by id and never executed twice.
 *
 * States: `waiting` (stored, not yet on the vehicle: not connected, or not subscribed yet),
 * `published` (sent to the vehicle at QoS 1), `failing` (the edge decided the command failed
 * and is committing the failure to the buffer), then `succeeded` or `failed` (the outcome is
 * in the buffer). Rows of finished commands are kept for `retainMs` so a late duplicate is
 * still recognised, then pruned.
 */
import Database from 'better-sqlite3';
import type { CommandType, DownlinkCommand } from '@fleetwire/protocol';

export type EdgeCommandState = 'waiting' | 'published' | 'failing' | 'succeeded' | 'failed';

export interface StoredCommand {
  commandId: string;
  seq: number;
  type: CommandType;
  vehicleId: string;
  bookingId?: string;
  deadline: number;
  receivedAt: number;
  state: EdgeCommandState;
}

export interface CommandStore {
  /** The cloud sequence number of the last command stored. */
  cursor(): number;
  /** Stores the commands not seen before and moves the cursor, in one transaction; returns the new ones. */
  receive(commands: readonly DownlinkCommand[], receivedAt: number): StoredCommand[];
  get(commandId: string): StoredCommand | undefined;
  setState(commandId: string, state: EdgeCommandState): void;
  /** Commands without an outcome yet (waiting, published, failing), oldest first. */
  unfinished(): StoredCommand[];
  /** Removes finished commands received before `before`. */
  prune(before: number): number;
  close(): void;
}

interface Row {
  command_id: string;
  seq: number;
  type: CommandType;
  vehicle_id: string;
  booking_id: string | null;
  deadline: number;
  received_at: number;
  state: EdgeCommandState;
}

const toCommand = (row: Row): StoredCommand => ({
  commandId: row.command_id,
  seq: row.seq,
  type: row.type,
  vehicleId: row.vehicle_id,
  ...(row.booking_id === null ? {} : { bookingId: row.booking_id }),
  deadline: row.deadline,
  receivedAt: row.received_at,
  state: row.state,
});

export function openCommandStore(path: string): CommandStore {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS commands (
      command_id TEXT PRIMARY KEY,
      seq INTEGER NOT NULL,
      type TEXT NOT NULL,
      vehicle_id TEXT NOT NULL,
      booking_id TEXT,
      deadline INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      state TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS commands_state ON commands (state, received_at);
    CREATE TABLE IF NOT EXISTS downlink_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
  `);
  const selectCursor = db.prepare<[], { seq: number }>('SELECT seq FROM downlink_cursor WHERE id = 1');
  const saveCursor = db.prepare<[number]>('INSERT INTO downlink_cursor (id, seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET seq = max(seq, excluded.seq)');
  const insert = db.prepare<[string, number, string, string, string | null, number, number]>(
    `INSERT INTO commands (command_id, seq, type, vehicle_id, booking_id, deadline, received_at, state)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting') ON CONFLICT (command_id) DO NOTHING`,
  );
  const select = db.prepare<[string], Row>('SELECT * FROM commands WHERE command_id = ?');
  const update = db.prepare<[string, string]>('UPDATE commands SET state = ? WHERE command_id = ?');
  const selectUnfinished = db.prepare<[], Row>("SELECT * FROM commands WHERE state IN ('waiting', 'published', 'failing') ORDER BY received_at, seq");
  const deleteFinished = db.prepare<[number]>("DELETE FROM commands WHERE state IN ('succeeded', 'failed') AND received_at < ?");

  const receive = db.transaction((commands: readonly DownlinkCommand[], receivedAt: number): StoredCommand[] => {
    const fresh: StoredCommand[] = [];
    for (const command of commands) {
      const deadline = Date.parse(command.deadline);
      const { changes } = insert.run(command.commandId, command.seq, command.type, command.vehicleId, command.bookingId ?? null, deadline, receivedAt);
      if (changes === 1) fresh.push(toCommand(select.get(command.commandId)!));
      saveCursor.run(command.seq);
    }
    return fresh;
  });

  return {
    cursor: () => selectCursor.get()?.seq ?? 0,
    receive: (commands, receivedAt) => receive(commands, receivedAt),
    get(commandId) {
      const row = select.get(commandId);
      return row === undefined ? undefined : toCommand(row);
    },
    setState(commandId, state) {
      update.run(state, commandId);
    },
    unfinished: () => selectUnfinished.all().map(toCommand),
    prune: (before) => deleteFinished.run(before).changes,
    close: () => db.close(),
  };
}
