/**
 * A real HTTP receiver of uplink batches for tests: decodes with the protocol's decodeBatch,
 * records what it accepted, and can be told to misbehave (answer an error, hang up, hang,
 * refuse a batch holding a "poison" record, or be down altogether). Loopback only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BATCH_PATH, decodeBatch, type FleetRecord } from '@fleetwire/protocol';

export type ReceiverFault =
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  /** Reads the request, then destroys the socket without answering. */
  | { kind: 'hang-up' }
  /** Reads the request and never answers (until the receiver closes). */
  | { kind: 'stall' };

export interface ReceivedBatch {
  batchId: string;
  idempotencyKey: string | undefined;
  authorization: string | undefined;
  ids: string[];
  at: number;
}

export interface TestReceiver {
  url: string;
  /** Ids of every record accepted, in arrival order (duplicates included). */
  ids: string[];
  /** The records behind `ids`, same order. */
  records: FleetRecord[];
  /** Accepted batches. */
  batches: ReceivedBatch[];
  /** Every request, answered or not, by status ('hang-up' / 'stall' for faults). */
  attempts: Array<{ at: number; outcome: number | 'hang-up' | 'stall'; count: number }>;
  /** The next `times` requests get this fault. */
  fail(fault: ReceiverFault, times?: number): void;
  /** Any batch containing one of these ids is refused whole with 400. */
  poison: Set<string>;
  /** When set, requests without `Bearer {token}` get 401. */
  token: string | undefined;
  /** Resets every connection, open or new, until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function createTestReceiver(options: { token?: string } = {}): Promise<TestReceiver> {
  const faults: ReceiverFault[] = [];
  const seen = new Set<string>();
  let refusing = false;
  const server = createServer((req, res) => void handle(req, res));
  // While down, every connection is reset as it arrives: the sender sees a network failure.
  server.on('connection', (socket) => {
    if (refusing) socket.resetAndDestroy();
  });

  const receiver: TestReceiver = {
    url: '',
    ids: [],
    records: [],
    batches: [],
    attempts: [],
    poison: new Set(),
    token: options.token,
    fail(fault, times = 1) {
      for (let i = 0; i < times; i += 1) faults.push(fault);
    },
    async down() {
      // The port stays bound while down: a freed port can be taken by another server on a
      // busy test machine, which would then answer the agent in the receiver's place.
      refusing = true;
      server.closeAllConnections();
    },
    async up() {
      refusing = false;
    },
    async close() {
      refusing = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  /** Errors in the cloud ingest's shape (docs/cloud.md, "Error table"), which the uplink reads. */
  const refusal = (reason: string, detail: string) => ({ error: { code: `FW_${reason.toUpperCase()}`, reason, detail } });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const at = Date.now();
    const fault = faults.shift();
    if (fault?.kind === 'hang-up' || fault?.kind === 'stall') {
      receiver.attempts.push({ at, outcome: fault.kind, count: 0 });
      if (fault.kind === 'hang-up') req.socket.destroy();
      return;
    }
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}, count = 0): void => {
      receiver.attempts.push({ at, outcome: status, count });
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
    };
    if (fault?.kind === 'status') {
      answer(fault.status, fault.body ?? { error: 'injected' }, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
      return;
    }
    if (req.method !== 'POST' || req.url !== BATCH_PATH) return answer(404, refusal('not_found', 'no such route'));
    if (receiver.token !== undefined && req.headers.authorization !== `Bearer ${receiver.token}`) {
      return answer(401, refusal('auth_invalid', 'bad token'));
    }
    const decoded = decodeBatch(body, {
      contentEncoding: req.headers['content-encoding'],
      maxBytes: 8 * 1024 * 1024,
      maxDecompressedBytes: 64 * 1024 * 1024,
    });
    if (!decoded.ok) return answer(decoded.reason === 'batch_too_large' ? 413 : 400, refusal(decoded.reason, decoded.detail));
    const entries = decoded.value.entries;
    const claimed = entries.map((e) => (e.ok ? e.record.id : e.id));
    if (claimed.some((id) => id !== undefined && receiver.poison.has(id))) {
      return answer(400, refusal('batch_corrupt', 'poison record'), {}, entries.length);
    }
    const ids: string[] = [];
    const records: FleetRecord[] = [];
    const rejected: Array<{ id: string; reason: string; detail: string }> = [];
    let duplicates = 0;
    for (const entry of entries) {
      if (!entry.ok) {
        rejected.push({ id: entry.id ?? 'unknown', reason: entry.reason, detail: entry.detail });
        continue;
      }
      if (seen.has(entry.record.id)) duplicates += 1;
      seen.add(entry.record.id);
      ids.push(entry.record.id);
      records.push(entry.record);
    }
    receiver.ids.push(...ids);
    receiver.records.push(...records);
    receiver.batches.push({
      batchId: decoded.value.header.batchId,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      authorization: req.headers.authorization,
      ids,
      at,
    });
    answer(200, { accepted: ids.length - duplicates, duplicates, rejected }, {}, entries.length);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
