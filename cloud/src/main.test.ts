import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createCloudLogger } from './main.js';

describe('cloud logger', () => {
  it('never prints a bearer token, whichever way the headers are logged', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createCloudLogger('info', sink);
    const secret = 'fw1.node-1.very-secret-value';
    logger.info({ req: { headers: { authorization: `Bearer ${secret}` } } }, 'a');
    logger.info({ headers: { authorization: `Bearer ${secret}` } }, 'b');
    logger.info({ token: secret }, 'c');

    expect(lines).toHaveLength(3);
    expect(lines.join('')).not.toContain('very-secret-value');
    expect(lines.join('')).toContain('[redacted]');
  });
});
