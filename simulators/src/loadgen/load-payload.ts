/**
 * Load payloads: valid vehicle telemetry (so the edge validates and stores them like real
 * traffic) with the client's epoch and a growing seq, padded with JSON whitespace to the
 * requested size — whitespace keeps it valid JSON for the edge and costs a plain broker the
 * same bytes.
 */
export function baseTelemetry(ts: number, epoch: string, seq: number, deviceId: string): string {
  return (
    `{"v":1,"ts":${ts},"epoch":"${epoch}","seq":${seq},"deviceId":"${deviceId}",` +
    `"position":{"lat":52.52,"lon":13.405},"speedKph":42.5,"headingDeg":90,"odometerKm":${10_000 + seq / 1000},` +
    `"socPct":64.2,"battery":{"tempC":21.5,"voltageV":372.4,"currentA":35.2},"aux12vV":14.1,` +
    `"tyresKpa":{"fl":250,"fr":250,"rl":249,"rr":251},"locked":false,"ignition":true,"dtcs":[]}`
  );
}

/** The payload at least `bytes` long (the telemetry itself is ~400 bytes; smaller sizes get just that). */
export function loadPayload(bytes: number, ts: number, epoch: string, seq: number, deviceId: string): Buffer {
  const json = baseTelemetry(ts, epoch, seq, deviceId);
  const padding = bytes - Buffer.byteLength(json);
  return Buffer.from(padding > 0 ? `${json.slice(0, -1)}${' '.repeat(padding)}}` : json, 'utf8');
}
