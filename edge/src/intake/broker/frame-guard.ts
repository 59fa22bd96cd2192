/**
 * Refuses an oversized MQTT packet from its fixed header, before the parser buffers the body:
 * mqtt-packet has no size limit and would otherwise hold up to 256 MiB per connection.
 *
 * It listens to 'data' on the connection that aedes reads with 'readable' + read(): Node then
 * emits 'data' from inside each read() call, with exactly the bytes aedes is about to parse,
 * and does not switch the stream to flowing mode — so the guard sees every byte without
 * wrapping or copying the stream.
 */
import type { Duplex } from 'node:stream';

/** Follows MQTT fixed headers (type byte, remaining length varint) across chunk boundaries. */
export class FrameSizeTracker {
  readonly #maxPacketBytes: number;
  #state: 'type' | 'length' | 'body' = 'type';
  #length = 0;
  #lengthBytes = 0;
  #bodyLeft = 0;

  constructor(maxPacketBytes: number) {
    this.#maxPacketBytes = maxPacketBytes;
  }

  /** Returns the declared packet size when a packet exceeds the limit (or its header is malformed: Infinity). */
  feed(chunk: Buffer): number | undefined {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#state === 'body') {
        const skip = Math.min(this.#bodyLeft, chunk.length - offset);
        offset += skip;
        this.#bodyLeft -= skip;
        if (this.#bodyLeft === 0) this.#state = 'type';
        continue;
      }
      const byte = chunk[offset++] as number;
      if (this.#state === 'type') {
        this.#state = 'length';
        this.#length = 0;
        this.#lengthBytes = 0;
        continue;
      }
      this.#length += (byte & 0x7f) * 128 ** this.#lengthBytes;
      this.#lengthBytes += 1;
      if (byte & 0x80) {
        if (this.#lengthBytes === 4) return Infinity;
        continue;
      }
      const packetBytes = 1 + this.#lengthBytes + this.#length;
      if (packetBytes > this.#maxPacketBytes) return packetBytes;
      this.#bodyLeft = this.#length;
      this.#state = this.#length === 0 ? 'type' : 'body';
    }
    return undefined;
  }
}

export function guardFrameSizes(connection: Duplex, maxPacketBytes: number, onOversize: (declaredBytes: number) => void): void {
  const tracker = new FrameSizeTracker(maxPacketBytes);
  const onData = (chunk: Buffer): void => {
    const oversize = tracker.feed(chunk);
    if (oversize === undefined) return;
    connection.removeListener('data', onData);
    onOversize(oversize);
    connection.destroy();
  };
  connection.on('data', onData);
}
