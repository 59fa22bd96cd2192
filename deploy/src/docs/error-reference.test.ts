import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOUD_ERROR_CODES, HTTP_STATUS } from '@fleetwire/cloud';
import { EDGE_ERROR_CODES } from '@fleetwire/edge';
import { REASON_CODES } from '@fleetwire/protocol';
import { DOCS_DIR, readDocs, REFERENCE_FILE } from './cli.js';
import { errorReference } from './error-reference.js';

describe('the error-code reference', () => {
  it('is the committed docs/error-codes.md (run pnpm run docs:errors after changing an error table)', () => {
    expect(readFileSync(join(DOCS_DIR, REFERENCE_FILE), 'utf8')).toBe(errorReference(readDocs()));
  });

  it('lists every code of every table, the cloud ones with their HTTP status', () => {
    const text = errorReference([]);
    for (const code of [...EDGE_ERROR_CODES, ...CLOUD_ERROR_CODES, ...REASON_CODES]) expect(text).toContain(`\`${code}\``);
    expect(text).toContain(`| \`FW_INGEST_OVERLOADED\` | ${HTTP_STATUS.FW_INGEST_OVERLOADED} | \`ingest_overloaded\` | — |`);
  });

  it('says which docs explain a code', () => {
    const text = errorReference([{ path: 'edge.md', text: 'FW_BUFFER_FULL means the floor is reached' }, { path: 'cloud.md', text: 'FW_BUFFER_FULLER is no code' }]);
    expect(text).toContain('| `FW_BUFFER_FULL` | [edge.md](edge.md) |');
  });
});
