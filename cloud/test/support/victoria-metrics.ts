/** Reads raw points back from VictoriaMetrics' export API, waiting until they are searchable. */
export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export async function exportSeries(baseUrl: string, selector: string): Promise<ExportedSeries[]> {
  const url = new URL('/api/v1/export', baseUrl);
  url.searchParams.set('match[]', selector);
  url.searchParams.set('start', '0');
  const response = await fetch(url);
  if (!response.ok) throw new Error(`VictoriaMetrics export answered ${response.status}: ${await response.text()}`);
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ExportedSeries);
}

/** Polls until `enough` holds or the time is up, then returns the last export. */
export async function waitForSeries(
  baseUrl: string,
  selector: string,
  enough: (series: ExportedSeries[]) => boolean,
  timeoutMs = 30_000,
): Promise<ExportedSeries[]> {
  const deadline = Date.now() + timeoutMs;
  let series = await exportSeries(baseUrl, selector);
  while (!enough(series) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    series = await exportSeries(baseUrl, selector);
  }
  return series;
}

export function pointCount(series: ExportedSeries[]): number {
  return series.reduce((sum, s) => sum + s.timestamps.length, 0);
}
