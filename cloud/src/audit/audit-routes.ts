/**
 * `GET /v1/audit` — the audit trail by subject and time, for compliance. Guarded like the other
 * read APIs by `fleet.readToken` when it is set. Entries come in sequence order with their
 * hashes, so an auditor can check a slice against a head they were given.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { CloudError } from '../errors.js';
import { ErrorBodySchema } from '../ingest/schemas.js';
import { createReadGuard } from '../services/fleet/read-token.js';
import { AUDIT_ACTIONS } from './audit-chain.js';
import type { AuditLog } from './sqlite-audit-log.js';

export const AUDIT_PATH = '/v1/audit';

const AuditQuerySchema = Type.Object(
  {
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: '`{kind}:{id}`, e.g. vehicle:VH-0001, booking:bk-1, node:node-1, client:payment, cloud:config' })),
    action: Type.Optional(Type.Union(AUDIT_ACTIONS.map((a) => Type.Literal(a)))),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'ISO-8601, inclusive' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'ISO-8601, exclusive' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: false },
);

const AuditEntrySchema = Type.Object({
  seq: Type.Integer(),
  at: Type.String({ description: 'when the operation happened (ISO-8601)' }),
  action: Type.String(),
  actor: Type.String(),
  subject: Type.String(),
  detail: Type.Unknown(),
  prevHash: Type.String(),
  hash: Type.String(),
});

const AuditAnswerSchema = Type.Object({ entries: Type.Array(AuditEntrySchema) });
type AuditAnswer = Static<typeof AuditAnswerSchema>;

export interface AuditRoutesOptions {
  log: AuditLog;
  readToken: string | undefined;
  maxQueryEntries: number;
}

export const auditRoutes: FastifyPluginAsync<AuditRoutesOptions> = async (app, options) => {
  const guard = createReadGuard(options.readToken);
  app.get<{ Querystring: Static<typeof AuditQuerySchema> }>(
    AUDIT_PATH,
    {
      schema: {
        summary: 'The audit trail by subject and time',
        description: 'Entries in sequence order, each chained to the one before by hash (docs/audit.md).',
        tags: ['audit'],
        security: [{ fleetReadToken: [] as string[] }],
        querystring: AuditQuerySchema,
        response: { 200: AuditAnswerSchema, 400: { ...ErrorBodySchema, description: 'request_invalid' }, 401: { ...ErrorBodySchema, description: 'read token missing or wrong' } },
      },
    },
    async (request): Promise<AuditAnswer> => {
      guard(request.headers.authorization);
      const { subject, action, from, to } = request.query;
      const limit = request.query.limit ?? options.maxQueryEntries;
      if (limit > options.maxQueryEntries) throw new CloudError('FW_REQUEST_INVALID', `limit is at most ${options.maxQueryEntries}`);
      const fromMs = from === undefined ? undefined : Date.parse(from);
      const toMs = to === undefined ? undefined : Date.parse(to);
      if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) throw new CloudError('FW_REQUEST_INVALID', 'from is after to');
      const entries = options.log.query({ subject, action, from: fromMs, to: toMs, limit });
      return {
        entries: entries.map((entry) => ({
          seq: entry.seq, at: new Date(entry.at).toISOString(), action: entry.action, actor: entry.actor, subject: entry.subject,
          detail: JSON.parse(entry.detail) as unknown, prevHash: entry.prevHash, hash: entry.hash,
        })),
      };
    },
  );
};
