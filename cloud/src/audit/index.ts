/** The audit trail: the hash chain, its SQLite log, the bus recorder, the API (docs/audit.md). */
export { AUDIT_ACTIONS, chainEntry, entryHash, formatHead, GENESIS_HASH, parseHead, verifyChain, type AuditAction, type AuditEntry, type AuditInput, type ChainHead, type ChainReport } from './audit-chain.js';
export { openSqliteAuditLog, type AuditLog, type AuditQuery } from './sqlite-audit-log.js';
export { auditedOperation } from './audited-operations.js';
export { createAuditService, type AuditService, type AuditServiceOptions } from './audit-service.js';
export { auditRoutes, AUDIT_PATH, type AuditRoutesOptions } from './audit-routes.js';
export { configLoadedEntry } from './config-entry.js';
export { AuditSettingsSchema, type AuditSettings } from './settings.js';
