/**
 * Produce requests written into one buffer, for @platformatic/kafka's producer.
 *
 * Why: the client builds each record from a dozen small buffers (one per varint, key, value and
 * header), then concatenates them all once to compute the batch's CRC32C and once more for the
 * request. With the ingest bench's ~500-byte records producing was about a fifth of the ingest
 * tier's CPU in a profile, and the client's encoding takes 3.5–5× the CPU of this one
 * (`fleetwire bench produce-encoder`; docs/bus.md, "Cutting the CPU per record"). Here the
 * request's size is summed first and every field written straight into one buffer; the CRC runs
 * over that buffer.
 *
 * The bytes are those of the client's own encoder (record batch v2, same attributes, producer
 * id, epoch and base sequence taken from the client's idempotence state), so the broker's
 * duplicate detection and the client's sequence bookkeeping, retries and response parsing are
 * untouched: only the function that turns the grouped messages into bytes is replaced, for the
 * flexible Produce versions (9–11). Anything else — compression, transactions, dated records,
 * older versions — stays on the client's encoder.
 */
import {
  createAPI,
  crc32c,
  kGetApi,
  produceV9,
  produceV10,
  produceV11,
  Producer,
  ProduceAcks,
  Writer,
  type API,
  type Callback,
} from '@platformatic/kafka';

/** A message as the client hands it to the Produce API: serialized, partition assigned, not dated. */
export interface EncodableMessage {
  topic: string;
  partition?: number;
  key?: Buffer;
  value?: Buffer;
  headers?: Map<Buffer, Buffer>;
  /** Set by callers that date their records; such requests stay on the client's encoder. */
  timestamp?: bigint;
}

export interface EncodeOptions {
  producerId?: bigint;
  producerEpoch?: number;
  /** The client's next sequence per `topic:partition` (the idempotent producer's). */
  sequences?: { getWithDefault(key: string, fallback: number): number };
  compression?: string;
  transactionalId?: string;
}

const RECORD_BATCH_MAGIC = 2;
/** baseOffset (8) + batchLength (4): the part of a record batch its length does not count. */
const BATCH_LOG_OVERHEAD = 12;
/** partitionLeaderEpoch 4, magic 1, crc 4, attributes 2, lastOffsetDelta 4, two timestamps 16, producer id 8, epoch 2, base sequence 4, record count 4. */
const BATCH_HEADER_AFTER_LENGTH = 49;
/** Where the CRC-covered part (attributes onwards) starts, from the batch's first byte. */
const CRC_START = BATCH_LOG_OVERHEAD + 9;

const varIntSize = (value: number): number => unsignedVarIntSize(((value << 1) ^ (value >> 31)) >>> 0);

function unsignedVarIntSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value >>>= 7;
    size += 1;
  }
  return size;
}

const bytesSize = (bytes: Buffer | undefined): number => (bytes === undefined ? varIntSize(-1) : varIntSize(bytes.length) + bytes.length);

function recordBodySize(message: EncodableMessage, offsetDelta: number): number {
  // attributes, timestamp delta (always 0: one timestamp per request), offset delta
  let size = 1 + 1 + varIntSize(offsetDelta) + bytesSize(message.key) + bytesSize(message.value);
  const headers = message.headers;
  size += varIntSize(headers?.size ?? 0);
  if (headers !== undefined) for (const [name, value] of headers) size += bytesSize(name) + bytesSize(value);
  return size;
}

/** A cursor over one preallocated buffer. */
class Out {
  position = 0;
  constructor(readonly buffer: Buffer) {}

  unsignedVarInt(value: number): void {
    while (value >= 0x80) {
      this.buffer[this.position++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.buffer[this.position++] = value;
  }

  varInt(value: number): void {
    this.unsignedVarInt(((value << 1) ^ (value >> 31)) >>> 0);
  }

  int8(value: number): void {
    this.buffer.writeInt8(value, this.position);
    this.position += 1;
  }

  int16(value: number): void {
    this.buffer.writeInt16BE(value, this.position);
    this.position += 2;
  }

  int32(value: number): void {
    this.buffer.writeInt32BE(value, this.position);
    this.position += 4;
  }

  int64(value: bigint): void {
    this.buffer.writeBigInt64BE(value, this.position);
    this.position += 8;
  }

  bytes(bytes: Buffer): void {
    // Header names and values and keys are a few bytes: a loop beats Buffer#copy's argument
    // checks and TypedArray#set's call (~60 ns a record); a record value goes through set.
    const { buffer, position } = this;
    const length = bytes.length;
    if (length < 64) for (let i = 0; i < length; i++) buffer[position + i] = bytes[i] as number;
    else buffer.set(bytes, position);
    this.position = position + length;
  }

  varIntBytes(bytes: Buffer | undefined): void {
    if (bytes === undefined) {
      this.varInt(-1);
      return;
    }
    this.varInt(bytes.length);
    this.bytes(bytes);
  }
}

interface PartitionPlan {
  partition: number;
  messages: EncodableMessage[];
  bodySizes: number[];
  batchBytes: number;
}

function groupByDestination(messages: readonly EncodableMessage[]): Map<string, Map<number, EncodableMessage[]>> {
  const topics = new Map<string, Map<number, EncodableMessage[]>>();
  for (const message of messages) {
    let partitions = topics.get(message.topic);
    if (partitions === undefined) topics.set(message.topic, (partitions = new Map()));
    const partition = message.partition ?? 0;
    let list = partitions.get(partition);
    if (list === undefined) partitions.set(partition, (list = []));
    list.push(message);
  }
  return topics;
}

function planPartition(partition: number, messages: EncodableMessage[]): PartitionPlan {
  const bodySizes = messages.map((message, index) => recordBodySize(message, index));
  let batchBytes = BATCH_LOG_OVERHEAD + BATCH_HEADER_AFTER_LENGTH;
  for (const size of bodySizes) batchBytes += varIntSize(size) + size;
  return { partition, messages, bodySizes, batchBytes };
}

function writeRecordBatch(out: Out, plan: PartitionPlan, topic: string, timestamp: bigint, options: EncodeOptions): void {
  const start = out.position;
  const { messages } = plan;
  out.int64(0n); // base offset: the broker assigns
  out.int32(plan.batchBytes - BATCH_LOG_OVERHEAD);
  out.int32(0); // partition leader epoch, as the client sends it
  out.int8(RECORD_BATCH_MAGIC);
  out.int32(0); // CRC, filled in below
  out.int16(0); // attributes: no compression, not transactional, create time
  out.int32(messages.length - 1);
  out.int64(timestamp);
  out.int64(timestamp);
  out.int64(options.producerId ?? -1n);
  out.int16(options.producerEpoch ?? 0);
  out.int32(options.sequences?.getWithDefault(`${topic}:${plan.partition}`, 0) ?? 0);
  out.int32(messages.length);
  messages.forEach((message, index) => {
    out.varInt(plan.bodySizes[index] as number);
    out.int8(0);
    out.varInt(0);
    out.varInt(index);
    out.varIntBytes(message.key);
    out.varIntBytes(message.value);
    out.varInt(message.headers?.size ?? 0);
    if (message.headers !== undefined) {
      for (const [name, value] of message.headers) {
        out.varIntBytes(name);
        out.varIntBytes(value);
      }
    }
  });
  const covered = out.buffer.subarray(start + CRC_START, out.position);
  // The client's crc32c copies a plain buffer first; a one-part Writer hands it over as it is.
  out.buffer.writeUInt32BE(crc32c(Writer.create().append(covered).dynamicBuffer), start + CRC_START - 4);
}

/**
 * The body of a flexible Produce request (v9–v11: compact strings and arrays, tagged fields),
 * byte for byte what the client's `createRequest` writes for an uncompressed, non-transactional
 * send, in one buffer.
 */
export function encodeProduceRequest(acks: number, timeoutMs: number, messages: readonly EncodableMessage[], options: EncodeOptions): Buffer {
  const timestamp = BigInt(Date.now());
  const topics = [...groupByDestination(messages)].map(([topic, partitions]) => ({
    topic,
    name: Buffer.from(topic),
    // Partitions in ascending order, as the client groups them.
    plans: [...partitions].sort(([a], [b]) => a - b).map(([partition, list]) => planPartition(partition, list)),
  }));
  // transactional_id (null), acks, timeout, topic count, trailing tagged fields
  let size = 1 + 2 + 4 + unsignedVarIntSize(topics.length + 1) + 1;
  for (const { name, plans } of topics) {
    size += unsignedVarIntSize(name.length + 1) + name.length + unsignedVarIntSize(plans.length + 1) + 1;
    for (const plan of plans) size += 4 + unsignedVarIntSize(plan.batchBytes + 1) + plan.batchBytes + 1;
  }
  const out = new Out(Buffer.allocUnsafe(size));
  out.unsignedVarInt(0);
  out.int16(acks);
  out.int32(timeoutMs);
  out.unsignedVarInt(topics.length + 1);
  for (const { topic, name, plans } of topics) {
    out.unsignedVarInt(name.length + 1);
    out.bytes(name);
    out.unsignedVarInt(plans.length + 1);
    for (const plan of plans) {
      out.int32(plan.partition);
      out.unsignedVarInt(plan.batchBytes + 1);
      writeRecordBatch(out, plan, topic, timestamp, options);
      out.unsignedVarInt(0);
    }
    out.unsignedVarInt(0);
  }
  out.unsignedVarInt(0);
  if (out.position !== size) throw new Error(`produce request: wrote ${out.position} bytes, planned ${size}`);
  return out.buffer;
}

type ProduceRequestFactory = (acks: number, timeout: number, messages: EncodableMessage[], options: EncodeOptions) => Writer;

/** The client's Produce API of one version with its request encoder replaced by `encodeProduceRequest` where that applies. */
function leanProduceApi(version: number, module: { createRequest: unknown; parseResponse: unknown }): API<unknown[], unknown> {
  const clientRequest = module.createRequest as ProduceRequestFactory;
  const createRequest: ProduceRequestFactory = (acks, timeout, messages, options = {}) => {
    if ((options.compression ?? 'none') !== 'none' || options.transactionalId !== undefined || messages.some((m) => m.timestamp !== undefined)) {
      return clientRequest(acks, timeout, messages, options);
    }
    const writer = Writer.create().append(encodeProduceRequest(acks, timeout, messages, options));
    if (acks === ProduceAcks.NO_RESPONSE) writer.context.noResponse = true;
    return writer;
  };
  return createAPI(0, version, createRequest, module.parseResponse as Parameters<typeof createAPI>[3]) as API<unknown[], unknown>;
}

const LEAN_PRODUCE_APIS = new Map<number, API<unknown[], unknown>>([
  [9, leanProduceApi(9, produceV9)],
  [10, leanProduceApi(10, produceV10)],
  [11, leanProduceApi(11, produceV11)],
]);

/** @platformatic/kafka's Producer, sending its Produce requests through `encodeProduceRequest` (v9–v11). */
export class LeanProducer<Key, Value, HeaderKey, HeaderValue> extends Producer<Key, Value, HeaderKey, HeaderValue> {
  override [kGetApi]<RequestArguments extends unknown[], ResponseType>(name: string, callback: Callback<API<RequestArguments, ResponseType>>): void {
    if (name !== 'Produce') {
      super[kGetApi](name, callback);
      return;
    }
    super[kGetApi]<RequestArguments, ResponseType>(name, (error, api) => {
      if (error || api === undefined) {
        callback(error);
        return;
      }
      const lean = LEAN_PRODUCE_APIS.get(api.version);
      callback(null, (lean as API<RequestArguments, ResponseType> | undefined) ?? api);
    });
  }
}
