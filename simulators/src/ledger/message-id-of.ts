/**
 * Reads the message id back out of a published payload, as a subscriber or the edge would
 * derive it: telemetry from topic device + `epoch` + `seq`, events from `eventId`. Undefined
 * for bytes that are not a fleetwire payload (malformed ones: match those by bytes instead).
 */
import { formatMessageId, parseTopic } from '@fleetwire/protocol';

export function messageIdOf(topic: string, bytes: Uint8Array): string | undefined {
  const parsed = parseTopic(topic);
  if (!parsed.ok) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const payload = json as Record<string, unknown>;
  if (parsed.value.channel === 'events') return typeof payload['eventId'] === 'string' ? payload['eventId'] : undefined;
  const { epoch, seq } = payload;
  if (typeof epoch !== 'string' || typeof seq !== 'number') return undefined;
  try {
    return formatMessageId({ deviceId: parsed.value.deviceId, epoch, seq });
  } catch {
    return undefined;
  }
}
