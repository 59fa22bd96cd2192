/**
 * The Prometheus alert rules: promtool (Debian's prometheus package) checks them and runs their
 * unit tests (each alert fires on its condition, stays quiet beside it); every metric a rule
 * reads is declared by the code, and every alert has its runbook section in the operations guide.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { findProgram } from '@fleetwire/test-servers';
import { declaredMetrics, metricsReadBy } from './support/declared-metrics.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const RULES_DIR = join(REPO, 'deploy/prometheus');

interface Rule { alert: string; expr: string; annotations: { runbook_url: string } }
const rules = (parse(readFileSync(join(RULES_DIR, 'fleetwire-alerts.yaml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);

describe('alert rules', () => {
  it('pass promtool check and promtool test rules', async () => {
    const promtool = findProgram('promtool');
    expect(promtool, 'promtool (Debian prometheus) is installed by the test servers').toBeDefined();
    const check = await run(promtool as string, ['check', 'rules', 'fleetwire-alerts.yaml'], { cwd: RULES_DIR });
    expect(check.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    const tested = await run(promtool as string, ['test', 'rules', 'fleetwire-alerts.test.yaml'], { cwd: RULES_DIR });
    expect(tested.stdout).toMatch(/SUCCESS/);
    // Every alert has a unit test that expects it to fire.
    const tests = readFileSync(join(RULES_DIR, 'fleetwire-alerts.test.yaml'), 'utf8');
    expect(rules.filter((rule) => !tests.includes(`alertname: ${rule.alert}`))).toEqual([]);
  });

  it('read only metrics the code declares', () => {
    const declared = declaredMetrics();
    expect(rules.flatMap((rule) => metricsReadBy(rule.expr)).filter((metric) => !declared.has(metric))).toEqual([]);
    expect(rules.length).toBeGreaterThanOrEqual(8);
  });

  it('each link to a runbook section of the operations guide', () => {
    const guide = readFileSync(join(REPO, 'docs/operations.md'), 'utf8');
    const anchors = new Set([...guide.matchAll(/^#{2,4} (.+)$/gm)].map((m) => (m[1] as string).toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
    const missing = rules.filter((rule) => {
      const [file, anchor] = rule.annotations.runbook_url.split('#');
      return file !== 'docs/operations.md' || !anchors.has(anchor as string) || anchor !== `runbook-${rule.alert.toLowerCase()}`;
    });
    expect(missing.map((rule) => rule.alert)).toEqual([]);
  });
});
