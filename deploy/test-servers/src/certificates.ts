/**
 * Throwaway certificates for TLS tests, made with the openssl CLI: a CA, and keys +
 * certificates signed by it. Files land in `dir` as `{name}.key` / `{name}.crt`. Shared by the
 * cloud's mTLS test and the edge's uplink mTLS tests through `@fleetwire/test-servers/certificates`.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertificateFiles {
  cert: string;
  key: string;
}

export interface IssueOptions {
  /** Subject CN: a node id, a device id, or the server's address. */
  commonName: string;
  authority: CertificateFiles;
  /** subjectAltName entries for a server certificate, e.g. `IP:127.0.0.1`. */
  altNames?: string[];
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A self-signed CA named `name` (also its CN), valid for two days. */
export function createAuthority(dir: string, name: string): CertificateFiles {
  const files = filesOf(dir, name);
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', `/CN=${name}`]);
  return files;
}

/** A key and a certificate for `commonName`, signed by `authority`, valid for two days. */
export function issueCertificate(dir: string, name: string, options: IssueOptions): CertificateFiles {
  const files = filesOf(dir, name);
  const csr = join(dir, `${name}.csr`);
  openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', files.key, '-out', csr, '-subj', `/CN=${options.commonName}`]);
  const extensions: string[] = [];
  if (options.altNames !== undefined && options.altNames.length > 0) {
    const extFile = join(dir, `${name}.ext`);
    writeFileSync(extFile, `subjectAltName=${options.altNames.join(',')}\n`);
    extensions.push('-extfile', extFile);
  }
  const { cert: caCert, key: caKey } = options.authority;
  openssl(dir, ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-out', files.cert, ...extensions]);
  return files;
}

function filesOf(dir: string, name: string): CertificateFiles {
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}
