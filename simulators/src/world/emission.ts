/**
 * What a device's model says it wants to publish, before framing: the framing step
 * (framing.ts) turns an emission into the device's next message id, a protocol payload and
 * bytes on a topic. Keeping the model ignorant of ids and encoding keeps it easy to test.
 */
import type { EventType } from '@fleetwire/protocol';

export type DeviceKind = 'vehicle' | 'charger';

export interface TelemetryEmission {
  channel: 'telemetry';
  /** Simulated time the reading was taken. */
  at: number;
  /** The telemetry fields other than the header (`v`, `ts`, `epoch`, `seq`, `deviceId`). */
  body: Record<string, unknown>;
}

export interface EventEmission {
  channel: 'events';
  at: number;
  type: EventType;
  subject: { kind: 'vehicle' | 'charger' | 'trip' | 'booking' | 'site' | 'fleet'; id: string };
  correlationId?: string;
  data: Record<string, unknown>;
}

export type Emission = TelemetryEmission | EventEmission;
