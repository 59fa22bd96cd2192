/**
 * QoS 1 acknowledgements, taken over from aedes for device publishes.
 *
 * aedes writes each PUBACK as its own packet object and three small socket writes, then defers
 * its completion with a setImmediate, and runs every QoS 1 publish through its offline-queue
 * step (a subscription lookup and a persistence promise, for topics no one can subscribe to
 * here). So the hooks hand an authorised device publish on to aedes as QoS 0 (aedes then
 * neither acknowledges nor tracks it) and the PUBACK is written here once the pipeline's
 * commit resolved — never earlier. The PUBACKs of a connection settled in one turn go out as
 * one write, in the order their commits settled (arrival order: the group commit is first in,
 * first out). A group commit settles up to `maxGroupRecords` publishes at once, each from a
 * different vehicle in a fleet: one socket write per connection, ~30 µs each, so 2,000 of them
 * held the event loop for ~60 ms in one turn (docs/edge.md, 10,000 vehicles). At most
 * `connectionsPerTurn` connections are written per turn; the rest go on the next turns.
 */
import type { Client } from 'aedes';

type Connection = Client['conn'];

export interface AckBook {
  /** Queues the PUBACK of a committed publish; written at the end of the current turn. */
  acknowledge(connection: Connection, messageId: number): void;
}

export interface AckBookOptions {
  /** Connections written per event-loop turn. Default 256. */
  connectionsPerTurn?: number;
  /** Runs the writes left over on a later turn. Default setImmediate. */
  nextTurn?: (write: () => void) => void;
}

export function createAckBook({ connectionsPerTurn = 256, nextTurn = setImmediate }: AckBookOptions = {}): AckBook {
  // Insertion order is write order; a connection waiting for its turn collects further ids.
  const due = new Map<Connection, number[]>();
  let scheduled = false;

  const writeDue = (): void => {
    let written = 0;
    for (const [connection, ids] of due) {
      if (written === connectionsPerTurn) return void nextTurn(writeDue);
      due.delete(connection);
      if (!connection.destroyed) connection.write(pubacks(ids));
      written += 1;
    }
    scheduled = false;
  };

  return {
    acknowledge(connection, messageId) {
      const ids = due.get(connection);
      if (ids !== undefined) return void ids.push(messageId);
      due.set(connection, [messageId]);
      if (scheduled) return;
      scheduled = true;
      process.nextTick(writeDue);
    },
  };
}

/**
 * PUBACK packets for these ids: fixed header 0x40, remaining length 2, the packet id. The same
 * bytes in MQTT 3.1.1 and 5 (a v5 PUBACK may omit reason code 0x00 and the properties).
 */
export function pubacks(messageIds: readonly number[]): Buffer {
  const bytes = Buffer.allocUnsafe(4 * messageIds.length);
  messageIds.forEach((id, i) => {
    bytes[4 * i] = 0x40;
    bytes[4 * i + 1] = 2;
    bytes.writeUInt16BE(id, 4 * i + 2);
  });
  return bytes;
}
