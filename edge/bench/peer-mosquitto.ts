/**
 * The benchmarks' peer broker: a private Mosquitto on a free loopback port with unbounded
 * queues (so its subscriber receives every message), stopped by the caller.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';

export async function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export async function spawnMosquitto(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 0', 'log_type error', ''].join('\n'));
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  const url = `mqtt://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 500, clientId: `bench-probe-${process.pid}` }).catch(() => undefined);
    if (probe) {
      await probe.endAsync();
      return { url, child };
    }
    await sleep(100);
  }
  child.kill('SIGTERM');
  throw new Error('mosquitto did not start (is Debian\'s mosquitto installed? `fleetwire test-servers install`)');
}
