/**
 * MQTT 3.1.1 frames built byte by byte, and a raw TCP session that sends them: for tests that
 * must send what no MQTT client library would (wrong lengths, broken strings, bad flags).
 */
import { connect, type Socket } from 'node:net';

const utf8 = (text: string | Buffer): Buffer => (Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));

/** An MQTT string: two length bytes, then the bytes (given as a Buffer, they may be any bytes). */
export function mqttString(text: string | Buffer): Buffer {
  const bytes = utf8(text);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

export function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  let left = length;
  do {
    let digit = left % 128;
    left = Math.floor(left / 128);
    if (left > 0) digit |= 0x80;
    bytes.push(digit);
  } while (left > 0);
  return Buffer.from(bytes);
}

const frame = (typeAndFlags: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([typeAndFlags]), remainingLength(body.length), body]);

/** CONNECT with clean session, username and password, keep-alive 60 s. */
export function connectFrame(clientId: string, username: string, password: string): Buffer {
  const variableHeader = Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0xc2, 0, 60])]);
  return frame(0x10, Buffer.concat([variableHeader, mqttString(clientId), mqttString(username), mqttString(password)]));
}

/** PUBLISH at QoS 1; `topic` as a Buffer may hold bytes that are not UTF-8. */
export function publishFrame(topic: string | Buffer, packetId: number, payload: Buffer): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(packetId);
  return frame(0x32, Buffer.concat([mqttString(topic), id, payload]));
}

export const PINGREQ = Buffer.from([0xc0, 0x00]);
export const DISCONNECT = Buffer.from([0xe0, 0x00]);

export interface RawSession {
  /** Sends bytes; resolves once the broker answered a PINGREQ sent after them, or closed, or `settleMs` passed. */
  send(bytes: Buffer, settleMs?: number): Promise<void>;
  /** Every byte the broker sent so far. */
  readonly received: Buffer;
  readonly closed: boolean;
  /** Resolves true once the broker closed the connection, false if it has not after `timeoutMs`. */
  closedWithin(timeoutMs: number): Promise<boolean>;
  /** Ends the connection and waits until it is closed. */
  end(): Promise<void>;
}

/**
 * A TCP connection to a broker. `send` follows its bytes with a PINGREQ: the PINGRESP says the
 * broker has parsed everything before it. A frame that announced more bytes than it carried
 * swallows the PINGREQ, so the wait is also bounded by `settleMs`.
 */
export async function openRawSession(mqttUrl: string): Promise<RawSession> {
  const url = new URL(mqttUrl);
  const socket: Socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = Buffer.alloc(0);
  let closed = false;
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of waiters) waiter();
  };
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wake();
  });
  socket.once('close', () => {
    closed = true;
    wake();
  });
  return {
    get received() {
      return received;
    },
    get closed() {
      return closed;
    },
    async send(bytes, settleMs = 300) {
      if (closed) return;
      const pongsBefore = pingResponses(received);
      socket.write(Buffer.concat([bytes, PINGREQ]));
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (!closed && pingResponses(received) === pongsBefore) return;
          finish();
        };
        const timer = setTimeout(() => finish(), settleMs);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    closedWithin(timeoutMs) {
      if (closed) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
    async end() {
      if (closed) return;
      const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.end();
      // A broker still waiting for the rest of a frame may not answer a half-close at once.
      const timer = setTimeout(() => socket.destroy(), 1_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** The packet types (high nibble of the first byte: 4 PUBACK, 13 PINGRESP, …) of what a broker sent, complete frames only. */
export function packetTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  for (let at = 0; at < bytes.length;) {
    const type = (bytes[at] as number) >> 4;
    let length = 0;
    let multiplier = 1;
    let cursor = at + 1;
    for (;;) {
      if (cursor >= bytes.length) return types;
      const digit = bytes[cursor++] as number;
      length += (digit & 0x7f) * multiplier;
      multiplier *= 128;
      if ((digit & 0x80) === 0) break;
    }
    if (cursor + length > bytes.length) return types;
    types.push(type);
    at = cursor + length;
  }
  return types;
}

const PINGRESP = 13;
const pingResponses = (bytes: Buffer): number => packetTypes(bytes).filter((type) => type === PINGRESP).length;
