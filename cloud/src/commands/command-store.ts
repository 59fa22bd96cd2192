/**
 * The cloud's command log (SQLite, `{dataDir}/commands.sqlite`, WAL, synchronous FULL): one row
 * per command id with its state, and the routing table (the edge node that last sent a record
 * of each vehicle). `seq` is the order in which commands were accepted; an edge node's long
 * poll asks for its commands after the last seq it stored.
 *
 * Status: `pending` (accepted, not yet handed to an edge node), `sent` (handed out; the edge
 * owes the outcome), `succeeded`, `failed` (with a reason). A terminal status never changes:
 * the first outcome of a command is its outcome.
 */
import type { CommandFailureReason, CommandType } from '@fleetwire/protocol';
import { openStateFile } from '../sqlite-state-file.js';

export type CommandStatus = 'pending' | 'sent' | 'succeeded' | 'failed';

export interface CommandRow {
  seq: number;
  commandId: string;
  clientId: string;
  type: CommandType;
  vehicleId: string;
  bookingId?: string;
  nodeId?: string;
  status: CommandStatus;
  reason?: CommandFailureReason;
  detail?: string;
  /** The id of the outcome record (VehicleUnlocked, VehicleLocked or CommandFailed). */
  outcomeEventId?: string;
  requestedAt: number;
  deadline: number;
  updatedAt: number;
}

export type NewCommand = Omit<CommandRow, 'seq' | 'updatedAt' | 'outcomeEventId'>;

export interface Outcome {
  status: 'succeeded' | 'failed';
  reason?: CommandFailureReason;
  detail?: string;
  outcomeEventId: string;
  at: number;
}

export interface CloudCommandStore {
  /** Inserts unless the id exists; returns the row as stored either way. */
  insert(command: NewCommand): { row: CommandRow; created: boolean };
  get(commandId: string): CommandRow | undefined;
  list(filter: { vehicleId?: string; clientId?: string; limit: number }): CommandRow[];
  /** Commands of a node after `after` still owed an outcome; pending ones become `sent`. */
  handOut(nodeId: string, after: number, now: number, limit: number): CommandRow[];
  /** Pending commands whose deadline passed (never handed to an edge node). */
  overdue(now: number): CommandRow[];
  /** Records the outcome unless the command already has one; returns whether it changed. */
  settle(commandId: string, outcome: Outcome): boolean;
  routeOf(vehicleId: string): string | undefined;
  setRoute(vehicleId: string, nodeId: string, at: number): void;
  close(): void;
}

interface Row {
  seq: number;
  command_id: string;
  client_id: string;
  type: CommandType;
  vehicle_id: string;
  booking_id: string | null;
  node_id: string | null;
  status: CommandStatus;
  reason: CommandFailureReason | null;
  detail: string | null;
  outcome_event_id: string | null;
  requested_at: number;
  deadline: number;
  updated_at: number;
}

const optional = <K extends string, V>(key: K, value: V | null): { [P in K]?: V } => (value === null ? {} : ({ [key]: value } as { [P in K]?: V }));

const toRow = (row: Row): CommandRow => ({
  seq: row.seq,
  commandId: row.command_id,
  clientId: row.client_id,
  type: row.type,
  vehicleId: row.vehicle_id,
  ...optional('bookingId', row.booking_id),
  ...optional('nodeId', row.node_id),
  status: row.status,
  ...optional('reason', row.reason),
  ...optional('detail', row.detail),
  ...optional('outcomeEventId', row.outcome_event_id),
  requestedAt: row.requested_at,
  deadline: row.deadline,
  updatedAt: row.updated_at,
});

const SCHEMA = `
CREATE TABLE IF NOT EXISTS commands (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  command_id TEXT NOT NULL UNIQUE,
  client_id TEXT NOT NULL,
  type TEXT NOT NULL,
  vehicle_id TEXT NOT NULL,
  booking_id TEXT,
  node_id TEXT,
  status TEXT NOT NULL,
  reason TEXT,
  detail TEXT,
  outcome_event_id TEXT,
  requested_at INTEGER NOT NULL,
  deadline INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS commands_node ON commands (node_id, status, seq);
CREATE INDEX IF NOT EXISTS commands_vehicle ON commands (vehicle_id, seq);
CREATE INDEX IF NOT EXISTS commands_pending ON commands (status, deadline);
CREATE TABLE IF NOT EXISTS routes (vehicle_id TEXT PRIMARY KEY, node_id TEXT NOT NULL, seen_at INTEGER NOT NULL);
`;

export function openCloudCommandStore(path: string): CloudCommandStore {
  const db = openStateFile(path, SCHEMA, 'the command log');
  const insert = db.prepare(
    `INSERT INTO commands (command_id, client_id, type, vehicle_id, booking_id, node_id, status, reason, detail, requested_at, deadline, updated_at)
     VALUES (@commandId, @clientId, @type, @vehicleId, @bookingId, @nodeId, @status, @reason, @detail, @requestedAt, @deadline, @requestedAt)
     ON CONFLICT (command_id) DO NOTHING`,
  );
  const select = db.prepare<[string], Row>('SELECT * FROM commands WHERE command_id = ?');
  // NULL filters match every row: one statement for the four combinations.
  const list = db.prepare<{ vehicleId: string | null; clientId: string | null; limit: number }, Row>(
    'SELECT * FROM commands WHERE (@vehicleId IS NULL OR vehicle_id = @vehicleId) AND (@clientId IS NULL OR client_id = @clientId) ORDER BY seq DESC LIMIT @limit',
  );
  const owed = db.prepare<[string, number, number], Row>("SELECT * FROM commands WHERE node_id = ? AND seq > ? AND status IN ('pending', 'sent') ORDER BY seq LIMIT ?");
  const markSent = db.prepare<[number, number]>("UPDATE commands SET status = 'sent', updated_at = ? WHERE seq = ? AND status = 'pending'");
  const selectOverdue = db.prepare<[number], Row>("SELECT * FROM commands WHERE status = 'pending' AND deadline <= ? ORDER BY seq");
  const settle = db.prepare(
    `UPDATE commands SET status = @status, reason = @reason, detail = @detail, outcome_event_id = @outcomeEventId, updated_at = @at
     WHERE command_id = @commandId AND status IN ('pending', 'sent')`,
  );
  const selectRoute = db.prepare<[string], { node_id: string }>('SELECT node_id FROM routes WHERE vehicle_id = ?');
  const upsertRoute = db.prepare<[string, string, number]>(
    'INSERT INTO routes (vehicle_id, node_id, seen_at) VALUES (?, ?, ?) ON CONFLICT (vehicle_id) DO UPDATE SET node_id = excluded.node_id, seen_at = excluded.seen_at',
  );

  const handOut = db.transaction((nodeId: string, after: number, now: number, limit: number): CommandRow[] => {
    // A pending command past its deadline is not handed out: the sweep fails it `expired`.
    const rows = owed.all(nodeId, after, limit).filter((row) => row.status === 'sent' || row.deadline > now);
    for (const row of rows) if (row.status === 'pending') markSent.run(now, row.seq);
    return rows.map((row) => toRow(row.status === 'pending' ? { ...row, status: 'sent', updated_at: now } : row));
  });

  return {
    insert(command) {
      const { changes } = insert.run({
        ...command,
        bookingId: command.bookingId ?? null,
        nodeId: command.nodeId ?? null,
        reason: command.reason ?? null,
        detail: command.detail ?? null,
      });
      return { row: toRow(select.get(command.commandId)!), created: changes === 1 };
    },
    get(commandId) {
      const row = select.get(commandId);
      return row === undefined ? undefined : toRow(row);
    },
    list({ vehicleId, clientId, limit }) {
      return list.all({ vehicleId: vehicleId ?? null, clientId: clientId ?? null, limit }).map(toRow);
    },
    handOut: (nodeId, after, now, limit) => handOut(nodeId, after, now, limit),
    overdue: (now) => selectOverdue.all(now).map(toRow),
    settle(commandId, outcome) {
      const { changes } = settle.run({ commandId, status: outcome.status, reason: outcome.reason ?? null, detail: outcome.detail ?? null, outcomeEventId: outcome.outcomeEventId, at: outcome.at });
      return changes === 1;
    },
    routeOf: (vehicleId) => selectRoute.get(vehicleId)?.node_id,
    setRoute(vehicleId, nodeId, at) {
      upsertRoute.run(vehicleId, nodeId, at);
    },
    close: () => db.close(),
  };
}
