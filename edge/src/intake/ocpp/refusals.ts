/**
 * Why the central system refused an OCPP-J frame, in the reason codes of every other intake
 * refusal (for the `fleetwire_intake_rejected_total` counter and the log): a frame that is not
 * JSON at all is `malformed_json`; JSON that is not an OCPP-J message, or a call whose payload
 * breaks the OCPP 1.6 schema, is `schema_violation`.
 */
import type { ReasonCode } from '@fleetwire/protocol';

export function badFrameReason(frame: Buffer | string): Extract<ReasonCode, 'malformed_json' | 'schema_violation'> {
  try {
    JSON.parse(frame.toString());
    return 'schema_violation';
  } catch {
    return 'malformed_json';
  }
}
