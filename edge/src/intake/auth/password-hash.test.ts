import { describe, expect, it } from 'vitest';
import { hashPassword, isPasswordHash, verifyPassword } from './password-hash.js';

const CHEAP = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('s3cret-VH-0001', CHEAP);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('s3cret-VH-0001', stored)).toBe(true);
    expect(await verifyPassword(Buffer.from('s3cret-VH-0001'), stored)).toBe(true);
    expect(await verifyPassword('s3cret-VH-0002', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts each hash, so equal passwords give different hashes', async () => {
    const [a, b] = await Promise.all([hashPassword('same', CHEAP), hashPassword('same', CHEAP)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('treats malformed or absurd stored hashes as a refusal, never a throw', async () => {
    for (const stored of ['', 'plain-text', 'scrypt$1024$8$1$c2FsdA==', 'scrypt$1000$8$1$c2FsdA==$AAAAAAAAAAAAAAAAAAAAAA==', 'scrypt$4194304$8$1$c2FsdA==$AAAAAAAAAAAAAAAAAAAAAA==']) {
      expect(isPasswordHash(stored)).toBe(false);
      expect(await verifyPassword('x', stored)).toBe(false);
    }
  });
});
