/**
 * The OpenAPI document the edge serves at /openapi.json, checked against the routes it describes:
 * every documented route is registered and answers a valid and an invalid request with a status
 * the document lists, in the documented body shape; every photo route registered is documented.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { returnPhotos, SITE, TEXT_NAMED_JPG, vehicleAt } from '../../../test/support/photos.js';
import { multipartBody, photoParts, returnToken, startPhotoApi, type PhotoApi } from '../../../test/support/photo-upload.js';
import { UPLOAD_ERRORS } from './upload-errors.js';

interface JsonSchema { required?: string[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; format?: string }
interface Operation {
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content: { 'application/json': { schema: JsonSchema } } }>;
}
interface OpenApiDocument {
  openapi: string;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
  paths: Record<string, Record<string, Operation>>;
}

let api: PhotoApi;
let document: OpenApiDocument;
const UPLOAD = 'POST /v1/returns/{returnId}/photos';
const VERDICT = 'GET /v1/returns/{returnId}/verdict';

beforeAll(async () => {
  api = await startPhotoApi();
  api.vision.positions.observe(vehicleAt('VH-0001', SITE, Date.now() - 30_000));
  const response = await api.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  document = response.json();
});

afterAll(async () => {
  await api?.close();
});

/** The photo API's operations in the document, as "METHOD /path". */
function operations(): Map<string, Operation> {
  const found = new Map<string, Operation>();
  for (const [path, methods] of Object.entries(document.paths)) {
    if (!path.startsWith('/v1/returns/')) continue;
    for (const [method, operation] of Object.entries(methods)) found.set(`${method.toUpperCase()} ${path}`, operation);
  }
  return found;
}

const operation = (name: string): Operation => {
  const found = operations().get(name);
  if (found === undefined) throw new Error(`${name} is not in /openapi.json`);
  return found;
};

async function uploadPhotos(returnId: string, photos: Buffer[], given?: string): Promise<LightMyRequestResponse> {
  const token = given ?? await returnToken(returnId);
  const { payload, contentType } = multipartBody(photoParts(photos));
  return api.app.inject({ method: 'POST', url: `/v1/returns/${returnId}/photos`, headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, payload });
}

const readVerdict = async (returnId: string, given?: Record<string, string>) =>
  api.app.inject({ method: 'GET', url: `/v1/returns/${returnId}/verdict`, headers: given ?? { authorization: `Bearer ${await returnToken(returnId)}` } });

/** The answer's status is documented, and its body has the documented fields (and no others). */
function expectDocumented(name: string, response: LightMyRequestResponse): void {
  const documented = operation(name).responses[String(response.statusCode)];
  expect({ name, status: response.statusCode, documented: documented !== undefined }).toEqual({ name, status: response.statusCode, documented: true });
  const schema = documented!.content['application/json'].schema;
  const body = response.json<Record<string, unknown>>();
  const fields = response.statusCode === 200 ? body : (body.error as Record<string, unknown>);
  const fieldSchema = response.statusCode === 200 ? schema : schema.properties!.error!;
  expect(Object.keys(fields).filter((key) => !(key in fieldSchema.properties!))).toEqual([]);
  for (const key of fieldSchema.required ?? []) expect(fields).toHaveProperty(key);
  if (response.statusCode !== 200) {
    // The reason answered is one the document names for that status.
    expect(documented!.description).toContain((body.error as { reason: string }).reason);
  }
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3 document with the return token as a bearer scheme on every photo route', () => {
    expect(document.openapi).toBe('3.0.3');
    expect(document.components.securitySchemes.returnToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect([...operations().keys()].sort()).toEqual([VERDICT, UPLOAD]);
    for (const [name, op] of operations()) {
      expect({ name, security: op.security }).toEqual({ name, security: [{ returnToken: [] }] });
      expect(op.parameters).toContainEqual(expect.objectContaining({ in: 'path', name: 'returnId', required: true }));
    }
    const body = operation(UPLOAD).requestBody?.content['multipart/form-data']?.schema;
    expect(body?.properties?.photo?.items?.format).toBe('binary');
  });

  it('lists every answer of each route, and every reason of the error table', () => {
    expect(Object.keys(operation(UPLOAD).responses).sort()).toEqual(['200', '400', '401', '403', '409', '413', '415', '422', '500', '503']);
    expect(Object.keys(operation(VERDICT).responses).sort()).toEqual(['200', '400', '401', '403', '404', '500']);
    const described = [...operations().values()].flatMap((op) => Object.values(op.responses).map((r) => r.description)).join(' ');
    for (const { reason } of Object.values(UPLOAD_ERRORS)) expect({ reason, described: described.includes(reason) }).toEqual({ reason, described: true });
  });

  it('documents every photo route registered, and every documented route is registered', () => {
    const registered = api.routes
      .filter((r) => r.url.startsWith('/v1/returns/') && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url}`);
    const documented = [...operations().keys()].map((name) => name.replace(/\{(\w+)\}/g, ':$1'));
    expect(registered.sort()).toEqual(documented.sort());
    for (const name of documented) {
      const [method, url] = name.split(' ') as [string, string];
      expect({ name, registered: api.app.hasRoute({ method: method as 'GET', url }) }).toEqual({ name, registered: true });
    }
  });

  it('answers a valid and an invalid upload with documented statuses and bodies', async () => {
    const valid = await uploadPhotos('RT-DOC', await returnPhotos(800, 2, Date.now()));
    expect(valid.statusCode).toBe(200);
    expectDocumented(UPLOAD, valid);
    const invalid = [
      [await uploadPhotos('RT-DOC-BAD', [TEXT_NAMED_JPG]), 415],
      [await uploadPhotos('RT-DOC-BAD', [], 'not.a.token'), 401],
      [await uploadPhotos('bad.id', []), 400],
      [await uploadPhotos('RT-DOC-BAD', [], await returnToken('RT-OTHER')), 403],
    ] as const;
    for (const [response, status] of invalid) {
      expect(response.statusCode).toBe(status);
      expectDocumented(UPLOAD, response);
    }
  });

  it('answers a valid and an invalid verdict read with documented statuses and bodies', async () => {
    const valid = await readVerdict('RT-DOC');
    expect(valid.statusCode).toBe(200);
    expectDocumented(VERDICT, valid);
    const invalid = [
      [await readVerdict('RT-DOC-NONE'), 404],
      [await readVerdict('RT-DOC', {}), 401],
      [await readVerdict('bad.id'), 400],
      [await readVerdict('RT-DOC', { authorization: `Bearer ${await returnToken('RT-DOC', { bookingId: 'BK-OTHER' })}` }), 403],
    ] as const;
    for (const [response, status] of invalid) {
      expect(response.statusCode).toBe(status);
      expectDocumented(VERDICT, response);
    }
  });
});
