/**
 * The OCPP-J 1.6 central-system endpoint (config section `ocpp`): chargers that speak OCPP over
 * WebSocket instead of fleetwire's MQTT topics. Off by default. docs/edge.md lists every option;
 * the checks across options (key length, TLS files, the registry) are the edge config's.
 */
import { Type, type Static } from '@sinclair/typebox';
import { OptionGroup, PathOption } from '../../settings.js';

export const AUTHORIZE_POLICIES = ['accept', 'list', 'reject'] as const;
export type AuthorizePolicy = (typeof AUTHORIZE_POLICIES)[number];

const Port = (defaultPort: number) => Type.Integer({ minimum: 0, maximum: 65_535, default: defaultPort });

export const OcppOptionsSchema = OptionGroup({
  enabled: Type.Boolean({ default: false }),
  host: Type.String({ default: '0.0.0.0' }),
  /** Plain WebSocket (security profile 1: basic auth). 0 = any free port. */
  port: Port(9000),
  /** URL path before the charge point id: `ws://host:port{path}/{chargerId}`. */
  path: Type.String({ pattern: '^(/[A-Za-z0-9._~-]+)*$', default: '/ocpp' }),
  /** WebSocket over TLS (security profile 2), beside the plain listener. */
  tls: OptionGroup({ enabled: Type.Boolean({ default: false }), port: Port(9443), keyFile: PathOption(), certFile: PathOption() }),
  /** Seconds between a charger's heartbeats, told in the BootNotification answer. */
  heartbeatIntervalS: Type.Integer({ minimum: 10, maximum: 86_400, default: 300 }),
  /** Key of the HMAC that pseudonymises id tags (RFID cards) before they leave the charger's connection; required when enabled. */
  idTagKey: Type.String({ default: '' }),
  /** How Authorize (and the idTagInfo of StartTransaction) is answered. */
  authorize: OptionGroup({
    policy: Type.Union(AUTHORIZE_POLICIES.map((p) => Type.Literal(p)), { default: 'accept' }),
    idTags: Type.Array(Type.String({ minLength: 1, maxLength: 20 }), { maxItems: 100_000, default: [] }),
  }),
});

export type OcppOptions = Static<typeof OcppOptionsSchema>;
