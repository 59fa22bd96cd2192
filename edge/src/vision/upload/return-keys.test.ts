import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { EdgeError } from '../../errors.js';
import { keySetProblems, openReturnKeyFile } from './return-keys.js';
import { generateReturnKeyPair, issueReturnToken, verifyReturnToken } from './return-token.js';

const claims = { returnId: 'RT-1', bookingId: 'BK-1', vehicleId: 'VH-0001', exp: Math.floor(Date.now() / 1000) + 600 };
const logger = pino({ level: 'silent' });

function writeKeys(file: string, keys: unknown[]): void {
  // As an operator's copy would: aside, then renamed over the file.
  writeFileSync(`${file}.next`, JSON.stringify({ keys }));
  renameSync(`${file}.next`, file);
}

async function outcome(keys: ReturnType<typeof openReturnKeyFile>, token: string): Promise<string> {
  return verifyReturnToken({ publicKeys: () => keys.keySet() }, token, 'RT-1', Date.now()).then(() => 'accepted', (error: unknown) => (error as EdgeError).code);
}

describe('return token key file', () => {
  it('rotates keys without a restart: a new key is accepted once added, an old one refused once removed, a broken file changes nothing', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fw-keys-')), 'keys.json');
    const old = await generateReturnKeyPair('booking-2026-11');
    const next = await generateReturnKeyPair('booking-2026-12', 'ES256');
    writeKeys(file, [old.publicKey]);
    const reloads: string[] = [];
    const keys = openReturnKeyFile({ file, logger, onReload: (result) => reloads.push(result) });
    const oldToken = await issueReturnToken(old.privateKey, claims);
    const nextToken = await issueReturnToken(next.privateKey, claims);
    expect([await outcome(keys, oldToken), await outcome(keys, nextToken)]).toEqual(['accepted', 'FW_UPLOAD_UNAUTHORIZED']);
    writeKeys(file, [old.publicKey, next.publicKey]);
    expect([await outcome(keys, oldToken), await outcome(keys, nextToken)]).toEqual(['accepted', 'accepted']);
    writeKeys(file, [next.publicKey]);
    expect([await outcome(keys, oldToken), await outcome(keys, nextToken)]).toEqual(['FW_UPLOAD_UNAUTHORIZED', 'accepted']);
    writeFileSync(file, '{ "keys": [');
    expect([await outcome(keys, nextToken), keys.kids()]).toEqual(['accepted', ['booking-2026-12']]);
    expect(reloads).toEqual(['ok', 'ok', 'refused']);
  });

  it('refuses at start a missing file, a private key, a key without kid, duplicates and foreign key types', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-keys-'));
    expect(() => openReturnKeyFile({ file: join(dir, 'missing.json'), logger })).toThrow(expect.objectContaining({ code: 'FW_RETURN_KEYS_INVALID' }));
    const pair = await generateReturnKeyPair('k1');
    const { kid: _kid, ...noKid } = pair.publicKey;
    expect(keySetProblems({ keys: [pair.privateKey, noKid, pair.publicKey, pair.publicKey, { kty: 'RSA', kid: 'r', n: 'x', e: 'AQAB' } as JWK] })).toEqual([
      'keys[0]: is a private key; the edge holds public keys only (give it the JWKS that generate-return-keys writes, keep the private key on the signing side)',
      'keys[1].kid: required (tokens name their key by it, so keys can rotate)',
      'keys[2].kid: "k1" appears twice',
      'keys[3].kid: "k1" appears twice',
      'keys[4]: must be an Ed25519 (kty OKP) or P-256 (kty EC) public key',
    ]);
    expect(keySetProblems({ keys: [] })).toEqual(['holds no keys']);
    expect(keySetProblems([])).toEqual(['must be a JWKS: { "keys": [ … ] }']);
  });
});
