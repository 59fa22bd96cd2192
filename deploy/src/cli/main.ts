#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { COMMANDS, findCommand } from './commands.js';

/** The workspace root's version: the same relative path from src/cli/main.ts in the checkout and main.js in the release. */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'fleetwire — telemetry gateway for shared electric fleets',
    '',
    'Usage: fleetwire <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `fleetwire <command> --help` for the options of one command; `fleetwire --version` prints the version.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-V') {
    console.log(`fleetwire ${version()}`);
    return 0;
  }
  const command = findCommand(name);
  if (!command) {
    console.error(`fleetwire: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
