/**
 * For the photo API's tests: multipart bodies built byte by byte (so a test controls exactly
 * what is sent), and the API assembled in-process on a real SQLite buffer and the real models.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { RecordBuffer } from '../../src/buffer/buffer.js';
import { createSqliteBuffer } from '../../src/buffer/sqlite/index.js';
import { loadEdgeConfig } from '../../src/config.js';
import type { VisionConfig } from '../../src/vision/settings.js';
import { SITE } from './photos.js';
import { startVision, type VisionStage } from '../../src/vision/vision.js';
import { createHttpApp } from '../../src/http/server.js';
import { PHOTO_API_SECURITY_SCHEMES } from '../../src/vision/upload/photo-api-docs.js';
import { photoRoutes } from '../../src/vision/upload/photo-routes.js';
import type { JWK } from 'jose';
import { openReturnKeyFile } from '../../src/vision/upload/return-keys.js';
import { generateReturnKeyPair, issueReturnToken, type ReturnClaims, type ReturnSigningKey } from '../../src/vision/upload/return-token.js';

export interface UploadPart {
  name: string;
  data: Buffer | string;
  filename?: string;
  contentType?: string;
}

export function multipartBody(parts: readonly UploadPart[]): { payload: Buffer; contentType: string } {
  const boundary = `----fleetwire${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const type = part.contentType ?? (part.filename === undefined ? undefined : 'image/jpeg');
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type ? `Content-Type: ${type}\r\n` : ''}\r\n`));
    chunks.push(Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export const photoParts = (photos: readonly Buffer[]): UploadPart[] => photos.map((data, i) => ({ name: 'photo', filename: `side-${i}.jpg`, data }));

/** The booking system's signing key in these tests; the photo API holds only its public half. */
export const TEST_KEYS = await generateReturnKeyPair('booking-test');

/** A JWKS file with the test key's public half, in a fresh folder. */
export function writeReturnKeys(dir: string, keys: readonly JWK[] = [TEST_KEYS.publicKey]): string {
  const file = join(dir, 'return-token-keys.json');
  writeFileSync(file, JSON.stringify({ keys }));
  return file;
}

export function returnToken(returnId: string, claims: Partial<ReturnClaims> = {}, key: ReturnSigningKey = TEST_KEYS.privateKey): Promise<string> {
  return issueReturnToken(key, { returnId, bookingId: `BK-${returnId}`, vehicleId: 'VH-0001', exp: Math.floor(Date.now() / 1000) + 600, ...claims });
}

/** The return areas file the tests use: one 100 m circle around SITE. */
export function writeReturnAreas(dir: string): string {
  const file = join(dir, 'return-areas.json');
  writeFileSync(file, JSON.stringify({ areas: [{ id: 'depot', kind: 'circle', center: SITE, radiusM: 100 }] }));
  return file;
}

export interface PhotoApi {
  app: FastifyInstance;
  buffer: RecordBuffer;
  vision: VisionStage;
  registry: Registry;
  dataDir: string;
  config: VisionConfig;
  /** Every route the app registered, as fastify names it (`/v1/returns/:returnId/photos`). */
  routes: Array<{ method: string; url: string }>;
  close(): Promise<void>;
}

export async function startPhotoApi(vision: Record<string, unknown> = {}): Promise<PhotoApi> {
  const dir = mkdtempSync(join(tmpdir(), 'fw-photos-'));
  const dataDir = join(dir, 'data');
  const config = loadEdgeConfig({
    cwd: dir,
    overrides: { nodeId: 'node-photos', dataDir, mqtt: { enabled: false }, bridge: { enabled: true, url: 'mqtt://127.0.0.1:1' },
      vision: { enabled: true, returnTokenKeysFile: writeReturnKeys(dir), returnAreasFile: writeReturnAreas(dir), ...vision } },
  });
  const logger = pino({ level: 'silent' });
  const registry = new Registry();
  const buffer = createSqliteBuffer({ path: join(dataDir, 'buffer.sqlite'), commitIntervalMs: 0, logger });
  const stage = await startVision({ nodeId: config.nodeId, dataDir, config: config.vision, buffer, registry, logger });
  const app = createHttpApp({ logger, securitySchemes: PHOTO_API_SECURITY_SCHEMES });
  const routes: PhotoApi['routes'] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  const { maxPhotos, maxPhotoBytes } = config.vision.limits;
  const keys = openReturnKeyFile({ file: config.vision.returnTokenKeysFile, logger });
  await app.register(photoRoutes, { vision: stage, returnTokens: { publicKeys: () => keys.keySet() }, limits: { maxPhotos, maxPhotoBytes } });
  await app.ready();
  return {
    app, buffer, vision: stage, registry, dataDir, config: config.vision, routes,
    async close() {
      await app.close();
      await stage.close();
      await buffer.close();
    },
  };
}
