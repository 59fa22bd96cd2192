/**
 * A benchmark's command line: `--name value` options with defaults as typed. `--help` prints the
 * usage and exits 0. An unknown option, or a numeric option (one whose default is a number) given
 * anything but a positive number, prints why and the usage and exits 2: a benchmark must never
 * run on NaN and print figures of nothing.
 */
import { parseArgs } from 'node:util';

export function benchOptions<const S extends Record<string, string>>(usage: string, defaults: S, argv = process.argv.slice(2)): { [K in keyof S]: string } {
  const options = Object.fromEntries(Object.entries(defaults).map(([name, value]) => [name, { type: 'string' as const, default: value }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    return refuse((error as Error).message, usage);
  }
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  for (const [name, fallback] of Object.entries(defaults)) {
    const numeric = fallback !== '' && Number.isFinite(Number(fallback));
    if (numeric && !(Number(values[name]) > 0)) refuse(`--${name} must be a positive number, got ${JSON.stringify(values[name])}`, usage);
  }
  return values as { [K in keyof S]: string };
}

function refuse(reason: string, usage: string): never {
  console.error(`${reason}\n\n${usage}`);
  process.exit(2);
}
