/**
 * QoS 1 acknowledgements, taken over from aedes for device publishes.
 *
 * aedes handles the packets of one socket read together and reads the next only after every one
 * of them was acknowledged: each connection would stand still for a whole commit and fsync,
 * its next messages unread in the socket, and the agent would sit idle while the disk works.
 * So the hooks hand an authorised QoS 1 publish on to aedes as QoS 0 right away (aedes then
 * neither acknowledges nor tracks it, and reads on) and the PUBACK is written here once the
 * pipeline's commit resolved — never earlier. The PUBACKs of a connection settled in one turn
 * go out as one write, in the order their commits settled (arrival order: the group commit is
 * first in, first out).
 *
 * Backpressure: a connection may have at most `UNCOMMITTED_BYTES` of such publishes waiting
 * for their commit; past that, the hooks let aedes wait for the commit as before. That is
 * about one socket read's worth, the bound aedes itself kept per connection.
 */
import type { Client } from 'aedes';

export const UNCOMMITTED_BYTES = 64 * 1024;

type Connection = Client['conn'];

interface ConnectionAcks {
  connection: Connection;
  uncommittedBytes: number;
  /** Packet ids whose PUBACK goes out at the end of this turn. */
  due: number[];
}

export interface AckBook {
  /** Counts a publish as waiting for its commit; true when aedes may read on meanwhile. */
  hold(connection: Connection, bytes: number): boolean;
  /** The commit settled (either way): the publish no longer counts against the bound. */
  release(connection: Connection, bytes: number): void;
  /** Queues the PUBACK of a committed publish; written at the end of the current turn. */
  acknowledge(connection: Connection, messageId: number): void;
}

export function createAckBook(): AckBook {
  const books = new WeakMap<Connection, ConnectionAcks>();
  let dueConnections: ConnectionAcks[] = [];

  const bookOf = (connection: Connection): ConnectionAcks => {
    let book = books.get(connection);
    if (book === undefined) {
      book = { connection, uncommittedBytes: 0, due: [] };
      books.set(connection, book);
    }
    return book;
  };

  const writeDue = (): void => {
    const connections = dueConnections;
    dueConnections = [];
    for (const book of connections) {
      const ids = book.due;
      book.due = [];
      if (book.connection.destroyed) continue;
      book.connection.write(pubacks(ids));
    }
  };

  return {
    hold(connection, bytes) {
      const book = bookOf(connection);
      const first = book.uncommittedBytes === 0;
      book.uncommittedBytes += bytes;
      return first || book.uncommittedBytes <= UNCOMMITTED_BYTES;
    },
    release(connection, bytes) {
      bookOf(connection).uncommittedBytes -= bytes;
    },
    acknowledge(connection, messageId) {
      const book = bookOf(connection);
      if (book.due.length === 0) {
        if (dueConnections.length === 0) process.nextTick(writeDue);
        dueConnections.push(book);
      }
      book.due.push(messageId);
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
