/**
 * The photo API on a real listening socket (inject() cannot show what happens to a connection):
 * a refusal sent while the client is still sending closes the connection, so neither the
 * connection nor the agent's shutdown waits for a body nobody will read; and no photo after a
 * refused one is decoded. Also: a malformed returnId is a 400 before the token is judged, and an
 * upload whose connection dropped before the answer arrived is answered, when retried, with the
 * verdict it got (no second verdict, no second ReturnVerified).
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CheckedPhoto } from '../returns/return-verification.js';
import { returnPhotos, SITE, TEXT_NAMED_JPG, vehicleAt } from '../../../test/support/photos.js';
import { multipartBody, photoParts, returnToken, startPhotoApi, type PhotoApi } from '../../../test/support/photo-upload.js';

interface RawClient {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves once the server ended or closed the connection. */
  closed: Promise<void>;
}

function openClient(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => { text += chunk; });
    const closed = new Promise<void>((done) => {
      socket.once('end', () => done());
      socket.once('close', () => done());
    });
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
  });
}

async function requestHead(returnId: string, contentType: string, length: number): Promise<string> {
  return [
    `POST /v1/returns/${returnId}/photos HTTP/1.1`,
    'Host: 127.0.0.1',
    `Authorization: Bearer ${await returnToken(returnId)}`,
    `Content-Type: ${contentType}`,
    `Content-Length: ${length}`,
    'Connection: keep-alive',
    '', '',
  ].join('\r\n');
}

const within = <T>(ms: number, promise: Promise<T>, what: string): Promise<T> => Promise.race([
  promise,
  new Promise<T>((_resolve, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref()),
]);

async function waitUntil(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Where the bytes of file part `index` (photoParts names them side-{index}.jpg) start in the body. */
function bytesOf(payload: Buffer, index: number): number {
  const header = payload.indexOf(`filename="side-${index}.jpg"`);
  return payload.indexOf('\r\n\r\n', header) + 4;
}

let good: Buffer[];

beforeAll(async () => {
  good = await returnPhotos(900, 3, Date.now());
});

describe('photo uploads on a real socket', () => {
  let api: PhotoApi;
  let port: number;

  beforeAll(async () => {
    api = await startPhotoApi();
    api.vision.positions.observe(vehicleAt('VH-0001', SITE, Date.now()));
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    port = (api.app.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await api?.close();
  });

  it('decodes no photo that arrives after a photo was refused', async () => {
    const prepared: Array<Promise<CheckedPhoto>> = [];
    const begin = api.vision.verifier.begin.bind(api.vision.verifier);
    const spy = vi.fn();
    const spyBegin = vi.spyOn(api.vision.verifier, 'begin').mockImplementation((returnId) => {
      const upload = begin(returnId);
      return {
        ...upload,
        prepare(bytes, context) {
          spy();
          const checked = upload.prepare(bytes, context);
          prepared.push(checked);
          return checked;
        },
      };
    });
    const { payload, contentType } = multipartBody(photoParts([TEXT_NAMED_JPG, good[0]!, good[1]!]));
    // The body up to the start of photo 1's bytes: photo 0 is complete, photo 1 announced.
    const photo1 = bytesOf(payload, 1);
    const client = await openClient(port);
    client.socket.write(await requestHead('RC-NEXT', contentType, payload.length));
    client.socket.write(payload.subarray(0, photo1));
    await waitUntil(() => prepared.length === 1);
    await expect(prepared[0]).rejects.toMatchObject({ code: 'FW_VISION_IMAGE_UNSUPPORTED' });
    // Photo 0 is refused; now the rest of the body arrives.
    client.socket.write(payload.subarray(photo1));
    await waitUntil(() => client.received().includes('"photo":'));
    expect(client.received()).toMatch(/^HTTP\/1\.1 415 /);
    expect(client.received()).toContain('"photo":0');
    expect(spy).toHaveBeenCalledTimes(1);
    await within(5000, client.closed, 'connection closed');
    spyBegin.mockRestore();
  });

  it('answers a retry after the connection dropped before the answer with the one stored verdict', async () => {
    const { payload, contentType } = multipartBody(photoParts(good));
    const client = await openClient(port);
    client.socket.write(await requestHead('RC-DROPPED', contentType, payload.length));
    client.socket.write(payload);
    // The verdict is committed while the client is gone: it never reads the answer.
    await waitUntil(() => api.vision.verifier.storedAnswer('RC-DROPPED') !== undefined, 10_000);
    client.socket.destroy();
    const retry = await api.app.inject({
      method: 'POST', url: '/v1/returns/RC-DROPPED/photos', headers: { authorization: `Bearer ${await returnToken('RC-DROPPED')}`, 'content-type': contentType }, payload,
    });
    expect(retry.statusCode).toBe(200);
    const stored = api.vision.verifier.storedAnswer('RC-DROPPED');
    expect(retry.json()).toEqual({ ...stored, replayed: true });
    const batch = api.buffer.takeBatch({ maxRecords: 10_000, maxBytes: 1 << 30 });
    if (batch !== undefined) api.buffer.release(batch);
    const verified = (batch?.records ?? []).filter((r) => r.kind === 'event' && r.payload.type === 'ReturnVerified' && (r.payload.data as { returnId?: string }).returnId === 'RC-DROPPED');
    expect(verified.map((r) => r.id)).toEqual([stored?.events[0]]);
  });

  it('answers a malformed returnId with 400 request_invalid, before the token is judged', async () => {
    for (const returnId of ['bad.id', 'x'.repeat(65), 'a%20b']) {
      const unauthenticated = await api.app.inject({ method: 'POST', url: `/v1/returns/${returnId}/photos` });
      expect([unauthenticated.statusCode, unauthenticated.json().error.reason]).toEqual([400, 'request_invalid']);
      const forged = await api.app.inject({ method: 'POST', url: `/v1/returns/${returnId}/photos`, headers: { authorization: 'Bearer not.a.token' } });
      expect([forged.statusCode, forged.json().error.reason]).toEqual([400, 'request_invalid']);
    }
  });
});

describe('a refusal while the client is still sending', () => {
  it('closes the connection after the answer, and the app closes promptly', async () => {
    const api = await startPhotoApi();
    let closed = false;
    try {
      await api.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = api.app.server.address() as AddressInfo;
      // 8 parts, the first a text file; the client sends the first two and then stalls.
      const { payload, contentType } = multipartBody(photoParts([TEXT_NAMED_JPG, ...Array.from({ length: 7 }, (_, i) => good[i % good.length]!)]));
      const client = await openClient(port);
      client.socket.write(await requestHead('RC-STALL', contentType, payload.length));
      client.socket.write(payload.subarray(0, bytesOf(payload, 2) + 100));
      await within(5000, client.closed, 'server closed the connection');
      expect(client.received()).toMatch(/^HTTP\/1\.1 415 /);
      expect(client.received().toLowerCase()).toContain('connection: close');
      expect(client.received()).toContain('"reason":"image_unsupported"');
      // The client is still there (it never ended its side); shutdown must not wait for it.
      await within(2000, api.app.close(), 'app.close()');
      closed = true;
      client.socket.destroy();
    } finally {
      if (closed) {
        await api.vision.close();
        await api.buffer.close();
      } else {
        // Do not hang the suite on the very leak under test.
        api.app.server.closeAllConnections();
        await api.close();
      }
    }
  });
});
