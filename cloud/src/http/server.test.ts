import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from './server.js';

const base = { logger: pino({ level: 'silent' }), bodyLimit: 1024, retryAfterSeconds: { busUnavailable: 5, overloaded: 1, inProgress: 1 } };
// Never read: the server refuses before it would use them.
const tls = { cert: Buffer.from('cert'), key: Buffer.from('key') };

describe('http server', () => {
  it('refuses to ask for client certificates without a CA of its own (Node would trust its public roots)', async () => {
    await expect(createHttpServer({ ...base, tls: { ...tls, requestClientCert: true } })).rejects.toMatchObject({
      code: 'FW_CONFIG_INVALID', message: expect.stringContaining('requestClientCert needs the CA'),
    });
    await expect(createHttpServer({ ...base, tls: { ...tls, ca: Buffer.alloc(0), requestClientCert: true } })).rejects.toMatchObject({
      code: 'FW_CONFIG_INVALID',
    });
  });
});
