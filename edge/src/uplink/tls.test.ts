import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAuthority, issueCertificate, type CertificateFiles } from '@fleetwire/test-servers/certificates';
import type { RecordBuffer } from '../buffer/buffer.js';
import { EdgeError } from '../errors.js';
import { resolveUplinkOptions } from './options.js';
import { readUplinkTls, summarizeUplinkTls, type UplinkTlsFiles } from './tls.js';

let dir: string;
let ca: CertificateFiles;
let node: CertificateFiles;
let other: CertificateFiles;
const none: UplinkTlsFiles = { caFile: '', certFile: '', keyFile: '' };
const asNode = { nodeId: 'node-7', hasToken: false };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-uplink-tls-'));
  ca = createAuthority(dir, 'ca');
  node = issueCertificate(dir, 'node', { commonName: 'node-7', authority: ca });
  other = issueCertificate(dir, 'other', { commonName: 'node-8', authority: ca });
  writeFileSync(join(dir, 'garbage.pem'), 'not a certificate\n');
});

function failure(files: Partial<UplinkTlsFiles>, identity = asNode): EdgeError {
  try {
    readUplinkTls({ ...none, ...files }, identity);
  } catch (error) {
    if (error instanceof EdgeError) return error;
    throw error;
  }
  throw new Error('expected a config error');
}

describe('uplink TLS material', () => {
  it('is absent when no file is configured, and reads a CA and a client certificate', () => {
    expect(readUplinkTls(none, asNode)).toBeUndefined();
    const tls = readUplinkTls({ caFile: ca.cert, certFile: node.cert, keyFile: node.key }, asNode);
    expect(tls?.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(tls?.key?.toString()).toContain('PRIVATE KEY');
    const summary = summarizeUplinkTls(tls ?? {});
    expect(summary).toMatchObject({ caCertificates: 1, clientCertificate: { subject: 'CN=node-7', issuer: 'CN=ca' } });
    expect(JSON.stringify(summary)).not.toContain('PRIVATE KEY');
  });

  it('lists every unreadable file at once', () => {
    const error = failure({ caFile: join(dir, 'missing-ca.crt'), certFile: node.cert, keyFile: join(dir, 'missing.key') });
    expect(error.code).toBe('FW_CONFIG_UNREADABLE');
    expect(error.message).toContain(`config.cloud.caFile: cannot read ${join(dir, 'missing-ca.crt')} (ENOENT)`);
    expect(error.message).toContain(`config.cloud.keyFile: cannot read ${join(dir, 'missing.key')} (ENOENT)`);
  });

  it('refuses content that is not what it should be, listing every problem', () => {
    const garbage = join(dir, 'garbage.pem');
    const error = failure({ caFile: garbage, certFile: garbage, keyFile: garbage });
    expect(error.code).toBe('FW_CONFIG_INVALID');
    for (const fragment of ['config.cloud.caFile: ', 'holds no PEM certificate', 'config.cloud.certFile: ', 'config.cloud.keyFile: ']) {
      expect(error.message).toContain(fragment);
    }
    expect(failure({ certFile: node.cert, keyFile: other.key }).message).toContain(`config.cloud.keyFile: ${other.key} is not the key of the certificate`);
    // The key's bytes never appear in a message.
    expect(failure({ certFile: node.cert, keyFile: other.key }).message).not.toContain('PRIVATE KEY');
  });

  it('needs the CN to be the node id when the certificate is the only credential', () => {
    const files = { certFile: other.cert, keyFile: other.key };
    expect(failure(files).message).toContain('the certificate\'s CN, which is "node-8", not nodeId "node-7"');
    expect(readUplinkTls({ ...none, ...files }, { nodeId: 'node-7', hasToken: true })?.cert).toBeDefined();
  });
});

describe('uplink options with TLS material', () => {
  const base = { buffer: {} as RecordBuffer, nodeId: 'node-7', metrics: new Registry(), logger: pino({ level: 'silent' }) };
  const code = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return (error as EdgeError).code;
    }
    return 'none';
  };

  it('needs a token unless a client certificate is given, and https for any TLS material', () => {
    const tls = { cert: Buffer.from('c'), key: Buffer.from('k') };
    expect(resolveUplinkOptions({ ...base, url: 'https://cloud.example', tls }).token).toBe('');
    expect(resolveUplinkOptions({ ...base, url: 'https://cloud.example', tls, token: 't' }).token).toBe('t');
    expect(code(() => resolveUplinkOptions({ ...base, url: 'https://cloud.example', tls: { ca: Buffer.from('a') } }))).toBe('FW_UPLINK_OPTIONS_INVALID');
    expect(code(() => resolveUplinkOptions({ ...base, url: 'http://cloud.example', tls, token: 't' }))).toBe('FW_UPLINK_OPTIONS_INVALID');
    expect(code(() => resolveUplinkOptions({ ...base, url: 'https://cloud.example', tls: { cert: Buffer.from('c') }, token: 't' }))).toBe('FW_UPLINK_OPTIONS_INVALID');
  });
});
