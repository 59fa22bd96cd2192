/** @fleetwire/edge — the edge agent: MQTT intake, SQLite store-and-forward, uplink, return-photo verification. */
export { runEdgeCommand, isStartupMistake } from './cli.js';
export { startEdgeAgent, createEdgeLogger, type EdgeAgent, type StartOptions } from './main.js';
export { loadEdgeConfig, redactConfig, ENV_OVERRIDES, type EdgeConfig, type LoadConfigOptions } from './config.js';
export { EdgeError, EDGE_ERROR_CODES, type EdgeErrorCode } from './errors.js';
export { hashPassword, verifyPassword } from './intake/auth/password-hash.js';
export type { RecordBuffer, QuarantineEntry, OutgoingBatch, BacklogStats } from './buffer/buffer.js';
export { generateReturnKeyPair, issueReturnToken, RETURN_TOKEN_AUDIENCE, type ReturnClaims, type ReturnSigningKey } from './vision/upload/return-token.js';
export type { ReturnAnswer } from './vision/returns/return-answer.js';
