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
 * first out).
 */
import type { Client } from 'aedes';

type Connection = Client['conn'];

export interface AckBook {
  /** Queues the PUBACK of a committed publish; written at the end of the current turn. */
  acknowledge(connection: Connection, messageId: number): void;
}

export function createAckBook(): AckBook {
  let due = new Map<Connection, number[]>();

  const writeDue = (): void => {
    const connections = due;
    due = new Map();
    for (const [connection, ids] of connections) {
      if (!connection.destroyed) connection.write(pubacks(ids));
    }
  };

  return {
    acknowledge(connection, messageId) {
      const ids = due.get(connection);
      if (ids !== undefined) return void ids.push(messageId);
      if (due.size === 0) process.nextTick(writeDue);
      due.set(connection, [messageId]);
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
