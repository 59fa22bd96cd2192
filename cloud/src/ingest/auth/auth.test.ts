import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { CloudError } from '../../errors.js';
import { compileDeviceAcl } from '../device-acl.js';
import { parseAuthFile, readAuthFile } from './auth-file.js';
import { authenticateRequest } from './authenticate.js';
import { createNodeRegistry } from './node-registry.js';
import { hashToken, issueToken, tokenNodeId } from './tokens.js';

const codeOf = (work: () => unknown): string | undefined => {
  try {
    work();
    return undefined;
  } catch (error) {
    return error instanceof CloudError ? error.code : 'not a CloudError';
  }
};

describe('node tokens', () => {
  it('issues a token that names its node, stores only its SHA-256, and differs every time', () => {
    const first = issueToken('node-1', new Date('2026-01-01T00:00:00Z'));
    const second = issueToken('node-1');

    expect(first.token).toMatch(/^fw1\.node-1\.[A-Za-z0-9_-]{43}$/);
    expect(tokenNodeId(first.token)).toBe('node-1');
    expect(first.entry).toEqual({ sha256: hashToken(first.token), issuedAt: '2026-01-01T00:00:00.000Z', revoked: false });
    expect(JSON.stringify(first.entry)).not.toContain(first.token.split('.')[2]);
    expect(second.token).not.toBe(first.token);
  });

  it('refuses to issue for an id outside the node alphabet', () => {
    expect(codeOf(() => issueToken('node 1'))).toBe('FW_CONFIG_INVALID');
  });
});

describe('node registry', () => {
  const a = issueToken('node-a');
  const rotated = issueToken('node-a');
  const b = issueToken('node-b');
  const registry = () =>
    createNodeRegistry([
      { id: 'node-a', devices: ['VH-*'], tokens: [{ ...a.entry, revoked: true }, rotated.entry] },
      { id: 'node-b', devices: ['CH-0001'], revoked: true, tokens: [b.entry] },
    ]);

  it('authenticates the current token and refuses a revoked one or a revoked node', () => {
    const nodes = registry();
    const identity = nodes.authenticateToken(rotated.token);

    expect(identity).toMatchObject({ nodeId: 'node-a', via: 'token' });
    expect(identity.servesDevice('VH-0042')).toBe(true);
    expect(identity.servesDevice('CH-0001')).toBe(false);
    expect(codeOf(() => nodes.authenticateToken(a.token))).toBe('FW_AUTH_REVOKED');
    expect(codeOf(() => nodes.authenticateToken(b.token))).toBe('FW_AUTH_REVOKED');
    expect(codeOf(() => nodes.authenticateCertificate('node-b'))).toBe('FW_AUTH_REVOKED');
  });

  it("refuses another node's token presented under a different node id", () => {
    const forged = `fw1.node-a.${b.token.split('.')[2]}`;
    expect(codeOf(() => registry().authenticateToken(forged))).toBe('FW_AUTH_INVALID');
  });

  it('revokes at once when the node list is replaced (a reload)', () => {
    const nodes = registry();
    nodes.replace([{ id: 'node-a', devices: ['VH-*'], tokens: [{ ...rotated.entry, revoked: true }] }]);
    expect(codeOf(() => nodes.authenticateToken(rotated.token))).toBe('FW_AUTH_REVOKED');
  });

  it('authenticates a verified client certificate by its CN, and nothing without a credential', () => {
    const nodes = registry();
    const request = (socket: object, headers: Record<string, string> = {}) =>
      ({ headers, raw: { socket } }) as unknown as FastifyRequest;
    const certificate = { authorized: true, getPeerCertificate: () => ({ subject: { CN: 'node-a' } }) };
    const unverified = { ...certificate, authorized: false };

    expect(authenticateRequest(request(certificate), nodes)).toMatchObject({ nodeId: 'node-a', via: 'certificate' });
    expect(codeOf(() => authenticateRequest(request(unverified), nodes))).toBe('FW_AUTH_MISSING');
    expect(codeOf(() => authenticateRequest(request({}), nodes))).toBe('FW_AUTH_MISSING');
    expect(authenticateRequest(request({}, { authorization: `bearer ${rotated.token}` }), nodes).via).toBe('token');
  });
});

describe('device ACL', () => {
  it('matches exact ids and prefixes ending in *', () => {
    const serves = compileDeviceAcl(['VH-1*', 'CH-0003']);
    expect(['VH-1', 'VH-100', 'CH-0003', 'VH-2', 'CH-00031', 'vh-1'].map(serves)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(compileDeviceAcl(['*'])('anything')).toBe(true);
    expect(compileDeviceAcl([])('VH-1')).toBe(false);
  });
});

describe('auth file', () => {
  it('reads a valid file and refuses bad JSON, wrong fields and repeated nodes with FW_AUTH_FILE_INVALID', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-auth-'));
    const file = join(dir, 'auth.json');
    const entry = issueToken('node-1').entry;
    writeFileSync(file, JSON.stringify({ nodes: [{ id: 'node-1', devices: ['VH-*'], tokens: [entry] }] }));

    expect(readAuthFile(file).nodes[0]?.tokens).toEqual([entry]);
    expect(codeOf(() => parseAuthFile('{', 'x'))).toBe('FW_AUTH_FILE_INVALID');
    expect(codeOf(() => parseAuthFile('{"nodes":[{"id":"n","devices":[],"tokens":[{"sha256":"plain"}]}]}', 'x'))).toBe(
      'FW_AUTH_FILE_INVALID',
    );
    const twice = { nodes: [{ id: 'n', devices: [] }, { id: 'n', devices: [] }] };
    expect(codeOf(() => parseAuthFile(JSON.stringify(twice), 'x'))).toBe('FW_AUTH_FILE_INVALID');
    expect(codeOf(() => readAuthFile(join(dir, 'missing.json')))).toBe('FW_AUTH_FILE_INVALID');
  });
});
