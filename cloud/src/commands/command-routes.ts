/**
 * The HTTP side of commands (docs/commands.md), as two fastify plugins with their own
 * authentication:
 *
 * - `commandRoutes`, for the booking and operator systems, with business client tokens
 *   (`commandTypes` in the clients file): `POST /v1/commands` (optionally waiting up to
 *   `waitMs` for the outcome: 200 with the outcome, else 202 with the command to poll),
 *   `GET /v1/commands/{commandId}` (same wait) and `GET /v1/commands?vehicleId=&limit=`. A
 *   client sees its own commands; the fleet read token (dashboard) sees all. With the cloud's
 *   listeners split (`http.operator`), the public one takes client tokens only and the operator
 *   one serves the two GETs, where the dashboard reads them beside the fleet API.
 * - `downlinkRoutes`, for edge nodes, with node tokens or certificates: the long poll
 *   `GET /v1/downlink/commands?after=&waitMs=`.
 */
import { COMMAND_FAILURE_REASONS, COMMAND_TYPES, DOWNLINK_COMMANDS_PATH, DownlinkAnswerSchema, type DownlinkAnswer } from '@fleetwire/protocol';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ClientIdentity, ClientRegistry } from '../business-events/clients/client-registry.js';
import { CloudError } from '../errors.js';
import { authenticateRequest } from '../ingest/auth/authenticate.js';
import type { NodeRegistry } from '../ingest/auth/node-registry.js';
import { ErrorBodySchema } from '../ingest/schemas.js';
import { createReadGuard } from '../services/fleet/read-token.js';
import type { CommandRow } from './command-store.js';
import type { CommandService } from './command-service.js';

export const COMMANDS_PATH = '/v1/commands';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((value) => Type.Literal(value)));
const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

export const CommandRequestSchema = Type.Object(
  {
    commandId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'chosen by the caller; a resend with the same id is the same command' }),
    type: literals(COMMAND_TYPES),
    vehicleId: Id,
    bookingId: Type.Optional({ ...Id, description: 'required for UnlockVehicle' }),
    deadline: Type.Optional(Type.String({ format: 'date-time', description: 'ISO-8601; after it the command is not executed' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'instead of deadline: now + timeoutMs' })),
  },
  { additionalProperties: false },
);

export const CommandViewSchema = Type.Object(
  {
    commandId: Type.String(),
    type: literals(COMMAND_TYPES),
    vehicleId: Type.String(),
    bookingId: Type.Optional(Type.String()),
    nodeId: Type.Optional(Type.String({ description: 'the edge node the command was routed to' })),
    status: literals(['pending', 'sent', 'succeeded', 'failed'] as const),
    reason: Type.Optional(literals(COMMAND_FAILURE_REASONS)),
    detail: Type.Optional(Type.String()),
    outcomeEventId: Type.Optional(Type.String({ description: 'the VehicleUnlocked / VehicleLocked / CommandFailed record id' })),
    requestedBy: Type.String(),
    requestedAt: Type.String(),
    deadline: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);
type CommandView = Static<typeof CommandViewSchema>;

const WaitQuery = Type.Object({ waitMs: Type.Optional(Type.Integer({ minimum: 0, description: 'wait up to this long for the outcome (capped by commands.maxWaitMs)' })) }, { additionalProperties: false });
const ListQuery = Type.Object(
  { vehicleId: Type.Optional(Id), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) },
  { additionalProperties: false },
);
const errors = {
  400: { ...ErrorBodySchema, description: 'command_invalid or request_invalid' },
  401: { ...ErrorBodySchema, description: 'auth_missing, auth_invalid or auth_revoked' },
  403: { ...ErrorBodySchema, description: 'command_type_not_allowed' },
  404: { ...ErrorBodySchema, description: 'command_not_found' },
  409: { ...ErrorBodySchema, description: 'command_conflict: the id exists with other content' },
  503: { ...ErrorBodySchema, description: 'bus_unavailable: retry with the same command id' },
};

export interface CommandRoutesOptions {
  service: CommandService;
  clients: ClientRegistry;
  readToken: string | undefined;
  /** Cap on `waitMs`. */
  maxWaitMs: number;
  /** Cap on a deadline's distance from now. */
  maxDeadlineMs: number;
  /** Deadline when the request sets none. */
  defaultTimeoutMs: number;
  /** `both` (default): one listener for all; `public`: client tokens only; `operator`: the reads only. */
  listener?: 'both' | 'public' | 'operator';
}

type Caller = { kind: 'client'; client: ClientIdentity } | { kind: 'reader' };

export function commandView(row: CommandRow): CommandView {
  return {
    commandId: row.commandId,
    type: row.type,
    vehicleId: row.vehicleId,
    ...(row.bookingId === undefined ? {} : { bookingId: row.bookingId }),
    ...(row.nodeId === undefined ? {} : { nodeId: row.nodeId }),
    status: row.status,
    ...(row.reason === undefined ? {} : { reason: row.reason }),
    ...(row.detail === undefined ? {} : { detail: row.detail }),
    ...(row.outcomeEventId === undefined ? {} : { outcomeEventId: row.outcomeEventId }),
    requestedBy: `service:${row.clientId}`,
    requestedAt: new Date(row.requestedAt).toISOString(),
    deadline: new Date(row.deadline).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

const finished = (row: CommandRow) => row.status === 'succeeded' || row.status === 'failed';

/**
 * Aborted when the caller goes away, so a waiting request does not outlive its connection. The
 * response's `close` (not the request's, which fires once the body was read) marks a closed connection.
 */
function callerGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => controller.abort());
  return controller.signal;
}

export const commandRoutes: FastifyPluginAsync<CommandRoutesOptions> = async (app, options) => {
  const { service, clients } = options;
  const readGuard = options.readToken === undefined ? undefined : createReadGuard(options.readToken);
  const listener = options.listener ?? 'both';

  /** A client token, or (for reading) the fleet read token. */
  function callerOf(request: FastifyRequest, reading: boolean): Caller {
    const header = request.headers.authorization;
    // A split-off public listener serves no fleet reader (read token, or anyone on an open cloud): only clients read there.
    const readers = reading && listener !== 'public';
    if (header === undefined && readers && readGuard === undefined) return { kind: 'reader' };
    if (header === undefined) throw new CloudError('FW_AUTH_MISSING', 'no bearer token');
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (token === undefined) throw new CloudError('FW_AUTH_INVALID', 'authorization header is not a bearer token');
    try {
      return { kind: 'client', client: clients.authenticateToken(token) };
    } catch (error) {
      if (!readers || readGuard === undefined) throw error;
      readGuard(header);
      return { kind: 'reader' };
    }
  }

  const visible = (caller: Caller, row: CommandRow | undefined, commandId: string): CommandRow => {
    if (row === undefined || (caller.kind === 'client' && row.clientId !== caller.client.clientId)) {
      throw new CloudError('FW_COMMAND_NOT_FOUND', `no command ${commandId}`);
    }
    return row;
  };

  const answer = (reply: FastifyReply, row: CommandRow): CommandView => {
    if (!finished(row)) void reply.code(202).header('location', `${COMMANDS_PATH}/${row.commandId}`);
    return commandView(row);
  };

  // Sending is for the booking and operator systems, on the public listener (or the only one).
  if (listener !== 'operator') {
    app.post<{ Body: Static<typeof CommandRequestSchema>; Querystring: Static<typeof WaitQuery> }>(
      COMMANDS_PATH,
      {
        schema: {
          summary: 'Send a command to a vehicle',
          description: 'Routed to the edge node that last reported the vehicle. 200: the outcome is known (within waitMs); 202: not yet — poll the Location.',
          tags: ['commands'],
          security: [{ businessClientToken: [] as string[] }],
          querystring: WaitQuery,
          body: CommandRequestSchema,
          response: { 200: CommandViewSchema, 202: CommandViewSchema, ...errors },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request, false);
        if (caller.kind !== 'client') throw new CloudError('FW_AUTH_INVALID', 'commands are sent with a client token');
        const { client } = caller;
        const body = request.body;
        if (!client.commandTypes.has(body.type)) throw new CloudError('FW_COMMAND_TYPE_NOT_ALLOWED', `client ${client.clientId} may not send ${body.type}`);
        if (body.deadline !== undefined && body.timeoutMs !== undefined) throw new CloudError('FW_COMMAND_INVALID', 'give deadline or timeoutMs, not both');
        const now = Date.now();
        const deadline = body.deadline === undefined ? now + (body.timeoutMs ?? options.defaultTimeoutMs) : Date.parse(body.deadline);
        if (deadline - now > options.maxDeadlineMs) throw new CloudError('FW_COMMAND_INVALID', `the deadline is at most ${options.maxDeadlineMs} ms away`);
        const { row } = await service.submit(client.clientId, {
          commandId: body.commandId,
          type: body.type,
          vehicleId: body.vehicleId,
          ...(body.bookingId === undefined ? {} : { bookingId: body.bookingId }),
          deadline,
        });
        const waitMs = Math.min(request.query.waitMs ?? 0, options.maxWaitMs);
        const current = waitMs === 0 ? row : ((await service.waitForOutcome(row.commandId, waitMs, callerGone(reply))) ?? row);
        return answer(reply, current);
      },
    );
  }

  app.get<{ Params: { commandId: string }; Querystring: Static<typeof WaitQuery> }>(
    `${COMMANDS_PATH}/:commandId`,
    {
      schema: {
        summary: 'A command and its outcome',
        tags: ['commands'],
        security: [{ businessClientToken: [] as string[] }, { fleetReadToken: [] as string[] }],
        params: Type.Object({ commandId: Id }),
        querystring: WaitQuery,
        response: { 200: CommandViewSchema, 202: CommandViewSchema, ...errors },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request, true);
      const { commandId } = request.params;
      visible(caller, service.get(commandId), commandId);
      const waitMs = Math.min(request.query.waitMs ?? 0, options.maxWaitMs);
      const row = waitMs === 0 ? service.get(commandId) : await service.waitForOutcome(commandId, waitMs, callerGone(reply));
      return answer(reply, visible(caller, row, commandId));
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    COMMANDS_PATH,
    {
      schema: {
        summary: 'The command log, newest first',
        tags: ['commands'],
        security: [{ businessClientToken: [] as string[] }, { fleetReadToken: [] as string[] }],
        querystring: ListQuery,
        response: { 200: Type.Object({ commands: Type.Array(CommandViewSchema) }), ...errors },
      },
    },
    async (request) => {
      const caller = callerOf(request, true);
      const { vehicleId, limit = 100 } = request.query;
      const rows = service.list({ ...(vehicleId === undefined ? {} : { vehicleId }), ...(caller.kind === 'client' ? { clientId: caller.client.clientId } : {}), limit });
      return { commands: rows.map(commandView) };
    },
  );
};

export interface DownlinkRoutesOptions {
  service: CommandService;
  nodes: NodeRegistry;
  /** Cap on a poll's `waitMs`. */
  maxPollWaitMs: number;
}

const DownlinkQuery = Type.Object(
  {
    after: Type.Integer({ minimum: 0, description: 'the seq of the last command the node stored' }),
    waitMs: Type.Optional(Type.Integer({ minimum: 0, description: 'hold the poll open this long at most (capped)' })),
  },
  { additionalProperties: false },
);

export const downlinkRoutes: FastifyPluginAsync<DownlinkRoutesOptions> = async (app, options) => {
  const { service, nodes } = options;
  app.get<{ Querystring: Static<typeof DownlinkQuery> }>(
    DOWNLINK_COMMANDS_PATH,
    {
      schema: {
        summary: "An edge node's long poll for its commands",
        description: 'Answers at once with the commands after `after` that are owed an outcome, else when one arrives, else empty after waitMs (docs/commands.md).',
        tags: ['commands'],
        security: [{ nodeToken: [] as string[] }],
        querystring: DownlinkQuery,
        response: { 200: DownlinkAnswerSchema, 401: errors[401] },
      },
    },
    async (request, reply): Promise<DownlinkAnswer> => {
      const node = authenticateRequest(request, nodes);
      const waitMs = Math.min(request.query.waitMs ?? 0, options.maxPollWaitMs);
      const rows = await service.pollFor(node.nodeId, request.query.after, waitMs, callerGone(reply));
      return {
        commands: rows.map((row) => ({
          seq: row.seq,
          commandId: row.commandId,
          type: row.type,
          vehicleId: row.vehicleId,
          ...(row.bookingId === undefined ? {} : { bookingId: row.bookingId }),
          requestedAt: new Date(row.requestedAt).toISOString(),
          deadline: new Date(row.deadline).toISOString(),
        })),
      };
    },
  );
};
