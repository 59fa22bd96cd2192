/**
 * Reads one metric out of a Prometheus text exposition: the sum over all its series, or over
 * those whose labels include `match`. Enough for the demo's status line; not a full parser.
 */
export function sumMetric(text: string, name: string, match: Record<string, string> = {}): number {
  const wanted = Object.entries(match).map(([key, value]) => `${key}="${value}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd < 0 || line.slice(0, nameEnd) !== name) continue;
    const labels = line[nameEnd] === '{' ? line.slice(nameEnd + 1, line.indexOf('}')) : '';
    if (!wanted.every((pair) => labels.split(',').includes(pair))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

export async function fetchMetrics(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.ok ? response.text() : '';
}
