/**
 * `fleetwire cloud topics plan|apply`: the topic layout the config asks for, side by side with
 * what the cluster has, and creating what is missing — for an operator whose cloud runs without
 * the right to create topics (`topics.create: false`, or an account without CREATE).
 */
import type { Admin } from 'kafkajs';
import { createKafkaClient, kafkaFailure } from './kafka-bus.js';
import { resolveKafkaOptions, type KafkaBusConfig, type KafkaBusOptions } from './options.js';
import { ensureTopicLayout, findTopics } from './topic-admin.js';
import { cloudTopicPlans, describePlan, layoutDrift } from './topic-layout.js';

export interface TopicReport {
  lines: string[];
  /** Config differences on topics that exist (not changed by apply: altering retention is the operator's call). */
  drift: string[];
}

async function withAdmin<T>(config: KafkaBusConfig, work: (admin: Admin, options: KafkaBusOptions) => Promise<T>): Promise<T> {
  const options = resolveKafkaOptions(config);
  const admin = createKafkaClient(options).admin();
  try {
    await admin.connect();
    return await work(admin, options);
  } catch (cause) {
    throw kafkaFailure(options, 'topics', cause);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function planTopics(config: KafkaBusConfig): Promise<TopicReport> {
  return withAdmin(config, async (admin, options) => {
    const plans = cloudTopicPlans(options);
    const found = await findTopics(admin, plans.map((p) => p.name));
    return { lines: plans.map((p) => describePlan(p, found.get(p.name))), drift: layoutDrift(plans, found) };
  });
}

export function applyTopics(config: KafkaBusConfig): Promise<TopicReport> {
  return withAdmin(config, async (admin, options) => {
    const plans = cloudTopicPlans(options);
    const found = await ensureTopicLayout(admin, plans, true, options.produceTimeoutMs);
    return { lines: plans.map((p) => describePlan(p, found.get(p.name))), drift: layoutDrift(plans, found) };
  });
}
