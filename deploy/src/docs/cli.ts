/**
 * `pnpm run docs:errors [--check]`: writes docs/error-codes.md from the code's error tables, or
 * with --check exits 1 when the committed file is out of date.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorReference, type Doc } from './error-reference.js';

export const DOCS_DIR = resolve(import.meta.dirname, '../../../docs');
export const REFERENCE_FILE = 'error-codes.md';

export function readDocs(dir = DOCS_DIR): Doc[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md') && name !== REFERENCE_FILE)
    .sort()
    .map((name) => ({ path: name, text: readFileSync(join(dir, name), 'utf8') }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const check = process.argv.includes('--check');
  const file = join(DOCS_DIR, REFERENCE_FILE);
  const wanted = errorReference(readDocs());
  if (check) {
    const current = readFileSync(file, 'utf8');
    if (current !== wanted) {
      console.error(`docs/${REFERENCE_FILE} is out of date: run pnpm run docs:errors`);
      process.exitCode = 1;
    }
  } else {
    writeFileSync(file, wanted);
    console.log(`wrote docs/${REFERENCE_FILE}`);
  }
}
