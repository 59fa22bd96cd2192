/** The return saga's settings, with their documented defaults; the cloud config embeds this under `returns`. */
import { Type, type Static } from '@sinclair/typebox';

export const ReturnPolicySchema = Type.Object(
  {
    verdictTimeoutMs: Type.Integer({ minimum: 1000, default: 1_800_000, description: 'how long after a trip ended the saga waits for the return verdict (photos) before holding the vehicle' }),
    paymentTimeoutMs: Type.Integer({ minimum: 1000, default: 900_000, description: 'how long the saga waits for the payment system to answer one payment request' }),
    maxPaymentAttempts: Type.Integer({ minimum: 1, maximum: 100, default: 3, description: 'payment requests sent before the saga closes as payment_timed_out' }),
    fraudScore: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'fraud score (with reasons) in a verdict from which the vehicle is blocked for fraud' }),
    verificationFeeMinor: Type.Integer({ minimum: 0, default: 2500, description: 'charge added when a return is rejected (its photos cannot stand for the car)' }),
    fraudFeeMinor: Type.Integer({ minimum: 0, default: 15_000, description: 'charge added when a return is blocked for fraud' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', default: 'EUR', description: 'currency of the fees' }),
  },
  { additionalProperties: false, default: {} },
);

export type ReturnPolicy = Static<typeof ReturnPolicySchema>;

export const ReturnsSettingsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'run the return saga and serve GET /v1/returns' }),
    /** SQLite file of the sagas and the offsets they reflect; default `{dataDir}/returns.sqlite`. */
    path: Type.Optional(Type.String({ minLength: 1 })),
    groupId: Type.String({ minLength: 1, default: 'fleetwire-returns', description: 'consumer group (stable: the state is durable)' }),
    fromBeginning: Type.Boolean({ default: true, description: 'a new group starts at the oldest record; false = at the end, so trips that ended before the saga first ran are not charged by it' }),
    tickIntervalMs: Type.Integer({ minimum: 10, default: 1000, description: 'how often deadlines are checked and unsent steps produced' }),
    policy: ReturnPolicySchema,
    payment: Type.Object(
      {
        /** Where PaymentRequested commands are POSTed; absent = no adapter runs (the payment system reads the bus itself). */
        webhookUrl: Type.Optional(Type.String({ minLength: 1 })),
        /** Sent as `authorization: Bearer {token}`. */
        token: Type.Optional(Type.String({ minLength: 1 })),
        requestTimeoutMs: Type.Integer({ minimum: 100, default: 5000, description: 'one webhook call' }),
        attempts: Type.Integer({ minimum: 1, maximum: 20, default: 4, description: 'webhook calls per batch before it is handed back to the bus for redelivery' }),
        groupId: Type.String({ minLength: 1, default: 'fleetwire-payment-webhook', description: 'consumer group of the webhook adapter' }),
      },
      { additionalProperties: false, default: {} },
    ),
    maxListed: Type.Integer({ minimum: 1, maximum: 10_000, default: 500, description: 'most sagas one GET /v1/returns answers' }),
  },
  { additionalProperties: false, default: {} },
);

export type ReturnsSettings = Static<typeof ReturnsSettingsSchema>;
