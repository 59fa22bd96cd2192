/**
 * JSON schemas of `POST /v1/events`, for the OpenAPI document and the answers' serialisation.
 * The body is read as bytes and judged by `judge-event.ts` (so a refused body can be
 * dead-lettered exactly as sent); its schema here documents what the judge accepts.
 */
import {
  BookingCancelledV1,
  EventEnvelopeSchema,
  PaymentProcessedV1,
  VehicleBookedV1,
} from '@fleetwire/protocol';
import { Type, type Static } from '@sinclair/typebox';
import { ErrorBodySchema } from '../ingest/schemas.js';
import { BusinessEventTypeSchema } from './clients/client-file.js';

export const EVENTS_PATH = '/v1/events';

export const BusinessEventBodySchema = Type.Object(
  {
    ...EventEnvelopeSchema.properties,
    type: BusinessEventTypeSchema,
    source: Type.String({ description: '`service:{clientId}` — the authenticated client' }),
    eventId: Type.String({ description: '`{clientId}:{epoch}:{seq}`; a re-send with the same id is answered `duplicate`' }),
    data: Type.Union([VehicleBookedV1, BookingCancelledV1, PaymentProcessedV1], { description: 'the data of `type`' }),
  },
  { additionalProperties: false, description: 'One protocol event envelope (docs/protocol.md#events)' },
);

export const EventAnswerSchema = Type.Object(
  {
    eventId: Type.String(),
    outcome: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate')], {
      description: 'accepted: now durably on the bus; duplicate: this id was stored before, nothing produced',
    }),
  },
  { description: 'The event is durably on the bus (fleetwire.events, keyed by its subject)' },
);

export type EventAnswer = Static<typeof EventAnswerSchema>;

const error = (description: string) => ({ ...ErrorBodySchema, description });

export const postEventSchema = {
  summary: 'Publish one business event (booking, cancellation, payment)',
  description:
    'For the systems around fleetwire: VehicleBooked, BookingCancelled, PaymentProcessed (a failed payment is status "failed"). ' +
    'Answers 200 only after the event is durably on the bus; a refused event is dead-lettered with its reason (see docs/business-events.md).',
  tags: ['business events'],
  security: [{ businessClientToken: [] as string[] }],
  body: BusinessEventBodySchema,
  response: {
    200: EventAnswerSchema,
    400: error('event_invalid (malformed_json, schema_violation, impossible_value, unknown_event_type, unsupported_version) or event_subject_mismatch'),
    401: error('missing, unknown or revoked client token'),
    403: error('event_type_not_allowed for this client, or event_source_mismatch (eventId or source names another client)'),
    413: error('event_too_large'),
    415: error('content type is not application/json'),
    503: error('bus_unavailable; retry after retry-after'),
  },
};
