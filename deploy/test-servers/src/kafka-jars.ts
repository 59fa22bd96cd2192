import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TestServerError } from './errors.js';
import { withLock } from './lock.js';
import { tailFile } from './process.js';

/**
 * Kafka's jars come from Maven Central, fetched once with Maven through deploy/kafka/pom.xml
 * into <cacheDir>/kafka-<version>/libs and kept across runs. A `.complete` file marks a
 * finished download, so an interrupted one is redone instead of half-used.
 */
const run = promisify(execFile);

export const KAFKA_POM = fileURLToPath(new URL('../../kafka/pom.xml', import.meta.url));

function pomProperty(name: string): string {
  const match = new RegExp(`<${name.replaceAll('.', '\\.')}>([^<]+)</${name.replaceAll('.', '\\.')}>`).exec(readFileSync(KAFKA_POM, 'utf8'));
  if (!match?.[1]) {
    throw new TestServerError('FW_TEST_SERVER_SETTINGS_INVALID', `no <${name}> property in ${KAFKA_POM}`);
  }
  return match[1];
}

/** The default test broker's version, pinned in the pom; FLEETWIRE_KAFKA_VERSION overrides it. */
export function kafkaVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLEETWIRE_KAFKA_VERSION || pomProperty('kafka.version');
}

/** The compatibility broker's version (the older line still served), pinned in the pom; FLEETWIRE_KAFKA_COMPAT_VERSION overrides it. */
export function kafkaCompatVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLEETWIRE_KAFKA_COMPAT_VERSION || pomProperty('kafka.compat.version');
}

export function kafkaLibsDir(cacheDir: string, version: string): string {
  return join(cacheDir, `kafka-${version}`, 'libs');
}

function isComplete(libsDir: string): boolean {
  return existsSync(join(libsDir, '.complete'));
}

export async function fetchKafkaJars(
  cacheDir: string,
  version: string,
  progress: (line: string) => void,
): Promise<string> {
  const libsDir = kafkaLibsDir(cacheDir, version);
  if (isComplete(libsDir)) return libsDir;
  const versionDir = dirname(libsDir);
  await withLock(join(versionDir, 'fetch.lock'), async () => {
    if (isComplete(libsDir)) return;
    const partial = `${libsDir}.partial`;
    const log = join(versionDir, 'maven.log');
    await rm(partial, { recursive: true, force: true });
    await mkdir(versionDir, { recursive: true });
    progress(`kafka: fetching Apache Kafka ${version} jars from Maven Central into ${libsDir} (once; about a minute)`);
    const started = Date.now();
    const ticker = setInterval(
      () => progress(`kafka: still fetching jars (${Math.round((Date.now() - started) / 1000)} s)`),
      15_000,
    );
    try {
      const { stdout, stderr } = await run(
        'mvn',
        [
          '-B',
          '-q',
          '-f',
          KAFKA_POM,
          `-Dkafka.version=${version}`,
          'dependency:copy-dependencies',
          '-DincludeScope=runtime',
          `-DoutputDirectory=${partial}`,
        ],
        { maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 },
      );
      await writeFile(log, stdout + stderr);
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      await writeFile(log, `${failed.stdout ?? ''}${failed.stderr ?? ''}${String(error)}\n`);
      throw new TestServerError(
        'FW_TEST_SERVER_INSTALL_FAILED',
        `Maven could not fetch the Kafka ${version} jars.\n--- last lines of ${log} ---\n${tailFile(log)}\n---\n` +
          'Check: network access to Maven Central, `mvn -v` (Maven 3.8+, Java 17), and the version in deploy/kafka/pom.xml',
        { cause: error, canRetry: true },
      );
    } finally {
      clearInterval(ticker);
    }
    const jars = readdirSync(partial).filter((file) => file.endsWith('.jar'));
    if (!jars.some((jar) => jar.startsWith('kafka_2.13-'))) {
      throw new TestServerError('FW_TEST_SERVER_INSTALL_FAILED', `Maven finished but ${partial} has no kafka_2.13 jar`);
    }
    await writeFile(join(partial, '.complete'), `${new Date().toISOString()}\n`);
    await rm(libsDir, { recursive: true, force: true });
    await rename(partial, libsDir);
    progress(`kafka: ${jars.length} jars ready in ${Math.round((Date.now() - started) / 1000)} s`);
  });
  return libsDir;
}
