/** The commands API's settings, with their documented defaults; the cloud config embeds this under `commands`. */
import { Type, type Static } from '@sinclair/typebox';

const Positive = (fallback: number, description: string) => Type.Integer({ minimum: 1, default: fallback, description });

export const CommandsSettingsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'serve /v1/commands and the edge nodes\' downlink (clients come from the business clients file)' }),
    /** SQLite file of the command log and the routing table; default `{dataDir}/commands.sqlite`. */
    path: Type.Optional(Type.String({ minLength: 1 })),
    defaultTimeoutMs: Positive(10_000, 'deadline of a command that names none, from when it is accepted'),
    maxDeadlineMs: Positive(300_000, 'furthest deadline a command may have, from when it is accepted'),
    maxWaitMs: Positive(30_000, 'longest a caller may wait for an outcome in one request (waitMs)'),
    maxPollWaitMs: Positive(30_000, "longest an edge node's long poll is held open"),
    sweepIntervalMs: Positive(1000, 'how often commands no edge node took are checked against their deadline'),
  },
  { additionalProperties: false, default: {} },
);

export type CommandsSettings = Static<typeof CommandsSettingsSchema>;
