import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Type, type Static } from '@sinclair/typebox';
import { NodeIdSchema, isNodeId } from './ids.js';
import { invalidArgument } from './errors.js';
import { accept, reject, type ReasonCode, type Verdict } from './reasons.js';
import { compileValidator } from './validation.js';
import { validateRecord, type FleetRecord } from './records.js';
import { headOf, type RecordHead } from './bus-mapping.js';
import { readRecordHead } from './record-bytes.js';

/**
 * The uplink batch: gzip of NDJSON. Line 1 is the header, then one FleetRecord per line, so a
 * corrupt record is dead-lettered with its own bytes while its neighbours are accepted.
 */
export const BATCH_CONTENT_TYPE = 'application/x-ndjson';
export const BATCH_PATH = '/v1/batches';

export const BatchHeaderSchema = Type.Object(
  {
    batchId: Type.String({ pattern: '^[0-9a-f]{32}$' }),
    nodeId: NodeIdSchema,
    /** When the edge built the batch, ms since the Unix epoch. */
    createdAt: Type.Integer({ minimum: 0 }),
    count: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type BatchHeader = Static<typeof BatchHeaderSchema>;

/** A record already serialised (as the edge buffer stores it), forwarded without re-encoding. */
export interface SerializedRecord {
  id: string;
  json: string;
}

export interface BatchInput {
  nodeId: string;
  createdAt: number;
  records: ReadonlyArray<FleetRecord | SerializedRecord>;
  /** zlib level 1–9; defaults to 6. */
  gzipLevel?: number;
}

export interface EncodedBatch {
  batchId: string;
  count: number;
  body: Buffer;
  headers: Record<string, string>;
}

/**
 * Stable across re-sends of the same records, and different for any other set: the cloud answers
 * a known id from memory, so an id shared by two different batches (say, the same first and
 * last record with a critical event queued between them) would make the edge delete records the
 * cloud never stored.
 */
export function deriveBatchId(nodeId: string, recordIds: readonly string[]): string {
  const hash = createHash('sha256').update(nodeId);
  for (const id of recordIds) hash.update(`\n${id}`);
  return hash.digest('hex').slice(0, 32);
}

function recordLine(record: FleetRecord | SerializedRecord): string {
  const json = 'json' in record ? record.json : JSON.stringify(record);
  if (json.includes('\n')) throw invalidArgument(`record ${record.id} serialises to more than one line`);
  return json;
}

/** Throws ProtocolError on an empty batch or an invalid node id. */
export function encodeBatch(batch: BatchInput): EncodedBatch {
  if (!isNodeId(batch.nodeId)) throw invalidArgument(`invalid nodeId: ${JSON.stringify(batch.nodeId)}`);
  if (batch.records.length === 0) throw invalidArgument('a batch needs at least one record');
  const batchId = deriveBatchId(batch.nodeId, batch.records.map((record) => record.id));
  const header: BatchHeader = { batchId, nodeId: batch.nodeId, createdAt: batch.createdAt, count: batch.records.length };
  const lines = [JSON.stringify(header)];
  for (const record of batch.records) lines.push(recordLine(record));
  const body = gzipSync(`${lines.join('\n')}\n`, { level: batch.gzipLevel ?? 6 });
  return {
    batchId,
    count: batch.records.length,
    body,
    headers: {
      'content-type': BATCH_CONTENT_TYPE,
      'content-encoding': 'gzip',
      'idempotency-key': batchId,
    },
  };
}

export interface DecodeBatchOptions {
  /** The `content-encoding` request header: `gzip`, or absent/`identity` for plain NDJSON. */
  contentEncoding?: string;
  /** Limit on the body as received. */
  maxBytes: number;
  /** Limit on the inflated NDJSON, enforced while inflating. */
  maxDecompressedBytes: number;
}

/**
 * A valid line: its head (what ingest routes it by), its bytes, and the record. A telemetry line
 * in the common shape is validated straight from its bytes (record-bytes.ts) and parsed into
 * `record` only when someone reads it.
 */
export interface ValidEntry {
  ok: true;
  head: RecordHead;
  record: FleetRecord;
  raw: Buffer;
}

export type BatchEntry = ValidEntry | { ok: false; reason: ReasonCode; detail: string; raw: Buffer; id?: string };

/** An entry validated from its bytes; parsing the record is left to whoever wants it. */
class CheckedLine implements ValidEntry {
  readonly ok = true;
  #record: FleetRecord | undefined;

  constructor(
    readonly head: RecordHead,
    readonly raw: Buffer,
  ) {}

  get record(): FleetRecord {
    return (this.#record ??= JSON.parse(this.raw.toString('utf8')) as FleetRecord);
  }
}

export interface DecodedBatch {
  header: BatchHeader;
  entries: BatchEntry[];
}

const validateHeader = compileValidator(BatchHeaderSchema);

function inflate(body: Uint8Array, options: DecodeBatchOptions): Verdict<Buffer> {
  const encoding = (options.contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') {
    if (body.byteLength > options.maxDecompressedBytes) {
      return reject('batch_too_large', `${body.byteLength} bytes exceeds ${options.maxDecompressedBytes}`);
    }
    return accept(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  }
  if (encoding !== 'gzip') return reject('batch_corrupt', `unsupported content-encoding: ${encoding}`);
  try {
    // maxOutputLength aborts inflation as soon as the output passes the limit: a zip bomb
    // costs at most the limit in memory, never its full inflated size.
    return accept(gunzipSync(body, { maxOutputLength: options.maxDecompressedBytes }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return reject('batch_too_large', `inflated body exceeds ${options.maxDecompressedBytes} bytes`);
    }
    return reject('batch_corrupt', `gzip: ${(error as Error).message}`);
  }
}

function splitLines(text: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf(10, start);
    const stop = end === -1 ? text.length : end;
    lines.push(text.subarray(start, stop));
    start = stop + 1;
  }
  return lines;
}

function parseLine(raw: Buffer): Verdict<unknown> {
  if (!isUtf8(raw)) return reject('record_corrupt', 'line is not valid UTF-8');
  try {
    return accept(JSON.parse(raw.toString('utf8')));
  } catch (error) {
    return reject('record_corrupt', (error as Error).message);
  }
}

function claimedId(value: unknown): string | undefined {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id.slice(0, 200) : undefined;
}

function decodeEntry(raw: Buffer): BatchEntry {
  const head = readRecordHead(raw);
  if (head !== undefined) return new CheckedLine(head, raw);
  const parsed = parseLine(raw);
  if (!parsed.ok) return { ...parsed, raw };
  const record = validateRecord(parsed.value);
  if (record.ok) return { ok: true, head: headOf(record.value), record: record.value, raw };
  const id = claimedId(parsed.value);
  return { ...record, raw, ...(id === undefined ? {} : { id }) };
}

/**
 * Decodes an uplink body. Whole-batch problems (size, gzip, header, count) refuse the batch;
 * a bad record line becomes a rejected entry (`record_corrupt` for bytes that are not JSON, the
 * validation reason otherwise) and its neighbours still decode.
 */
export function decodeBatch(body: Uint8Array, options: DecodeBatchOptions): Verdict<DecodedBatch> {
  if (body.byteLength > options.maxBytes) {
    return reject('batch_too_large', `${body.byteLength} bytes exceeds the limit of ${options.maxBytes}`);
  }
  const inflated = inflate(body, options);
  if (!inflated.ok) return inflated;
  const lines = splitLines(inflated.value);
  while (lines.length > 0 && lines[lines.length - 1]!.toString('utf8').trim() === '') lines.pop();
  const [headerLine, ...recordLines] = lines;
  if (!headerLine) return reject('batch_corrupt', 'empty batch');
  const headerJson = parseLine(headerLine);
  if (!headerJson.ok) return reject('batch_corrupt', `header: ${headerJson.detail}`);
  const header = validateHeader(headerJson.value);
  if (!header.ok) return reject('batch_corrupt', `header ${header.detail}`);
  if (header.value.count !== recordLines.length) {
    return reject('batch_corrupt', `header announces ${header.value.count} records, body has ${recordLines.length}`);
  }
  return accept({ header: header.value, entries: recordLines.map(decodeEntry) });
}
