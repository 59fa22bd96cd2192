/** The audit trail's settings, with their documented defaults; the cloud config embeds this under `audit`. */
import { Type, type Static } from '@sinclair/typebox';

export const AuditSettingsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'keep the audit trail and serve GET /v1/audit' }),
    /** SQLite file of the audit log; default `{dataDir}/audit.sqlite`. */
    path: Type.Optional(Type.String({ minLength: 1 })),
    maxQueryEntries: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'most entries one GET /v1/audit answers' }),
  },
  { additionalProperties: false, default: {} },
);

export type AuditSettings = Static<typeof AuditSettingsSchema>;
