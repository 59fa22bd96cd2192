/**
 * The fleetwire_* metrics the code declares (prom-client `name: '…'` in edge/ and cloud/), and
 * the series names a PromQL expression reads — so dashboards and alert rules can be checked
 * against what the code really exports (histograms add _bucket, _sum and _count).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

export function declaredMetrics(): Set<string> {
  const names = new Set<string>();
  for (const file of [...sources(join(REPO, 'edge/src')), ...sources(join(REPO, 'cloud/src'))]) {
    for (const match of readFileSync(file, 'utf8').matchAll(/name: '(fleetwire_[a-z0-9_]+)'/g)) {
      const name = match[1] as string;
      names.add(name);
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    }
  }
  return names;
}

/** fleetwire_* names an expression reads. */
export function metricsReadBy(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b(fleetwire_[a-z0-9_]+)/g)].map((match) => match[1] as string))];
}
