/**
 * The intake stage: device messages arrive from a source (the embedded aedes broker, or a
 * bridge subscription on an existing broker) and go through one durable pipeline. A source
 * acknowledges a message to its sender only after `accept` resolved — that is, after the
 * record (or its quarantine entry) is committed to SQLite.
 */
import type { DeviceIdentity, ReasonCode } from '@fleetwire/protocol';

export interface DeviceMessage {
  topic: string;
  bytes: Buffer;
  /** The authenticated device, or undefined for a publish with no authenticated identity. */
  identity: DeviceIdentity | undefined;
  receivedAt: number;
}

/**
 * `committed`: stored, acknowledge it (`id` is the first record's; an array of readings also
 * lists every committed reading's id in `ids`, its refused readings being in quarantine). `quarantined`: bad content, the original bytes are
 * stored in quarantine — acknowledge it so the device does not resend it forever. `refused`:
 * an authorisation failure (topic) — the source answers by its protocol's refusal semantics.
 */
export type IntakeOutcome =
  | { status: 'committed'; id: string; ids?: readonly string[] }
  | { status: 'quarantined'; reason: ReasonCode }
  | { status: 'refused'; reason: ReasonCode };

export interface IntakePipeline {
  /** Rejects only when the buffer could not commit: the source must not acknowledge then. */
  accept(message: DeviceMessage): Promise<IntakeOutcome>;
  /** Resolves once every accept() under way has settled (used at shutdown, before the buffer closes). */
  settle(): Promise<void>;
}

export interface IntakeSource {
  readonly name: string;
  start(): Promise<void>;
  /** Stops accepting new connections or messages; messages under way still settle. */
  stop(): Promise<void>;
  ready(): boolean;
  /** Listening or connected addresses by role, e.g. `{ mqtt: 'mqtt://0.0.0.0:1883' }`. */
  addresses(): Record<string, string>;
  /** Sources that hold device connections: ends those of devices `keep` refuses; returns how many. */
  disconnect?(keep: (identity: DeviceIdentity) => boolean): number;
}
