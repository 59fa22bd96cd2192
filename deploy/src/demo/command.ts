import { isOperatorMistake as isCloudOperatorMistake } from '@fleetwire/cloud';
import { isStartupMistake as isEdgeStartupMistake } from '@fleetwire/edge';
import { DEMO_HELP, DemoUsageError, parseDemoOptions } from './demo-options.js';
import { startDemo } from './demo.js';

const STATUS_EVERY_MS = 5_000;

/** `fleetwire demo`: runs until Ctrl-C (or --duration), printing a status line as it goes. */
export async function runDemoCommand(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseDemoOptions(argv);
  } catch (error) {
    if (error instanceof DemoUsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`fleetwire demo: ${(error as Error).message}\n\n${DEMO_HELP}`);
      return 2;
    }
    throw error;
  }
  if (options === 'help') {
    console.log(DEMO_HELP);
    return 0;
  }
  const say = (line: string): void => console.log(`[demo] ${line}`);
  let demo;
  try {
    demo = await startDemo(options, say);
  } catch (error) {
    // A busy port or an unusable data file is the operator's to fix: one line, no stack trace.
    if (!isEdgeStartupMistake(error) && !isCloudOperatorMistake(error)) throw error;
    console.error(`fleetwire demo: ${error.message}`);
    return 2;
  }
  const width = Math.max(...Object.keys(demo.urls).map((k) => k.length));
  say('ready — where to look:');
  for (const [what, url] of Object.entries(demo.urls)) console.log(`  ${what.padEnd(width)}  ${url}`);
  say('press Ctrl-C to stop');

  const timer = setInterval(() => {
    demo.status().then(say, (error: unknown) => say(`status unavailable: ${(error as Error).message}`));
  }, STATUS_EVERY_MS);
  await new Promise<void>((resolveStop) => {
    const finish = (): void => resolveStop();
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    if (options.durationS !== undefined) setTimeout(finish, options.durationS * 1_000).unref();
  });
  clearInterval(timer);
  say('stopping: fleet, edge (flushing its buffer), cloud');
  say(await demo.status().catch(() => 'final status unavailable'));
  await demo.stop();
  say('stopped cleanly; data kept in ' + options.dataDir);
  return 0;
}
