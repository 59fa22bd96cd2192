/**
 * The command line's side of the audit trail: `fleetwire cloud audit verify` walks the whole log
 * and checks every link of the chain (and, given `--head`, that a head recorded earlier is still
 * there); the token commands record what they issued.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { formatHead, parseHead, verifyChain, type AuditInput } from './audit-chain.js';
import { openSqliteAuditLog } from './sqlite-audit-log.js';

/** Exit code of a verify that found the log modified: not a usage error (2), not a crash (1). */
export const AUDIT_TAMPERED_EXIT = 3;

export function verifyAuditLog(path: string, headText: string | undefined, print: (line: string) => void): number {
  const head = headText === undefined ? undefined : parseHead(headText);
  if (headText !== undefined && head === undefined) {
    print(`fleetwire cloud audit verify: --head must be {seq}:{64 hex}, as printed by an earlier verify`);
    return 2;
  }
  if (!existsSync(path)) {
    print(`fleetwire cloud audit verify: no audit log at ${path}`);
    return 2;
  }
  const log = openSqliteAuditLog(path);
  try {
    const report = verifyChain(log.entries(), head);
    if (!report.ok) {
      print(`audit log ${path}: MODIFIED — ${report.problems.length} problem(s) in ${report.entries} entries:`);
      for (const problem of report.problems) print(`  - ${problem}`);
      return AUDIT_TAMPERED_EXIT;
    }
    print(`audit log ${path}: intact, ${report.entries} entries`);
    if (report.head !== null) print(`head ${formatHead(report.head)}  (keep it elsewhere; verify --head it later to detect entries cut off the end)`);
    return 0;
  } finally {
    log.close();
  }
}

/** Records a credential the command line issued (its hash prefix, never the secret). */
export function recordCredentialIssued(path: string, subject: string, detail: { sha256: string; issuedAt: string; label?: string; written: boolean; file?: string }): void {
  const entry: AuditInput = {
    at: Date.parse(detail.issuedAt),
    action: 'credential_issued',
    actor: `cli:${userInfo().username}`,
    subject,
    detail: { ...detail, sha256: detail.sha256.slice(0, 16) },
  };
  const log = openSqliteAuditLog(path);
  try {
    log.append(entry);
  } finally {
    log.close();
  }
}
