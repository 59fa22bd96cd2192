/**
 * The topics the cloud owns in Kafka, decided from the config alone (no I/O): each logical topic
 * (`BUS_TOPICS`) gets a name (`{prefix}{logical}` unless set), partitions, replication and the
 * topic configs that follow its use, each overridable per topic in `topics.settings`:
 *
 * | use                       | retention.ms | cleanup.policy | partitions        |
 * | telemetry (vehicle, charger) | 7 days    | delete         | `partitions` (6)  |
 * | events and reports        | 400 days     | delete         | `partitions` (6)  |
 * | dead letters              | 800 days     | delete         | 3                 |
 * | services' checkpoints     | —            | compact        | `partitions` (6)  |
 * | analytics partials        | 7 days       | delete         | `partitions` (6)  |
 * | any other topic           | broker's     | broker's       | `partitions` (6)  |
 *
 * The checkpoints topic holds the services' state (one record per group, topic and partition,
 * docs/cloud.md): compacted, with room for a large partition's state in one record, and its
 * segments rolled hourly — Kafka never compacts the active segment, and at the default (7 days)
 * a restore would read every checkpoint of the week.
 * min.insync.replicas: 2 when the replication factor is 3 or more (so acks=all means two copies),
 * otherwise the broker's. `layoutProblems` compares the plan with what a cluster has and says
 * precisely what is missing or different.
 */
import { BUS_TOPICS } from '@fleetwire/protocol';
import type { KafkaBusOptions, TopicSettings } from './options.js';

const DAY_MS = 24 * 3600_000;

/** One checkpoint record holds a partition's whole state, compressed. */
export const CHECKPOINT_MAX_BYTES = 16 * 1024 * 1024;
/** How long the checkpoints topic's active segment stays open, out of the compactor's reach. */
export const CHECKPOINT_SEGMENT_MS = 3600_000;

export interface TopicPlan {
  /** The name the services use. */
  logical: string;
  /** The name in Kafka. */
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Topic configs to set at creation (Kafka's names). */
  configs: Record<string, string>;
}

type LayoutOptions = Pick<KafkaBusOptions, 'topics' | 'partitions' | 'replicationFactor'>;

function defaultsByUse(logical: string): TopicSettings {
  switch (logical) {
    case BUS_TOPICS.vehicleTelemetry:
    case BUS_TOPICS.chargerTelemetry:
    case BUS_TOPICS.analyticsPartials:
      return { retentionMs: 7 * DAY_MS, cleanupPolicy: 'delete' };
    case BUS_TOPICS.events:
      return { retentionMs: 400 * DAY_MS, cleanupPolicy: 'delete' };
    case BUS_TOPICS.checkpoints:
      return { cleanupPolicy: 'compact' };
    case BUS_TOPICS.deadLetters:
      // Fixed, not `partitions`: every cloud on a cluster shares it, whatever its own partition count.
      return { retentionMs: 800 * DAY_MS, cleanupPolicy: 'delete', partitions: 3 };
    default:
      return {};
  }
}

export function physicalName(options: Pick<KafkaBusOptions, 'topics'>, logical: string): string {
  return options.topics.settings[logical]?.name ?? `${options.topics.prefix}${logical}`;
}

export function topicPlan(options: LayoutOptions, logical: string): TopicPlan {
  const settings = { ...defaultsByUse(logical), ...options.topics.settings[logical] };
  const replicationFactor = settings.replicationFactor ?? options.replicationFactor;
  const minInsync = settings.minInsyncReplicas ?? (replicationFactor >= 3 ? 2 : undefined);
  const configs: Record<string, string> = {};
  if (settings.retentionMs !== undefined) configs['retention.ms'] = String(settings.retentionMs);
  if (settings.cleanupPolicy !== undefined) configs['cleanup.policy'] = settings.cleanupPolicy;
  if (minInsync !== undefined) configs['min.insync.replicas'] = String(minInsync);
  if (logical === BUS_TOPICS.checkpoints) {
    configs['max.message.bytes'] = String(CHECKPOINT_MAX_BYTES);
    configs['segment.ms'] = String(CHECKPOINT_SEGMENT_MS);
  }
  return { logical, name: physicalName(options, logical), partitions: settings.partitions ?? options.partitions, replicationFactor, configs };
}

/** The layout of every topic the cloud uses by default plus any named in the settings. */
export function cloudTopicPlans(options: LayoutOptions): TopicPlan[] {
  const logical = new Set<string>([...Object.values(BUS_TOPICS), ...Object.keys(options.topics.settings)]);
  return [...logical].map((topic) => topicPlan(options, topic));
}

/** What a cluster has of a topic (undefined: it does not exist). */
export interface TopicFound {
  partitions: number;
  configs: Record<string, string | undefined>;
}

/**
 * Problems that stop the cloud: a topic missing, or with fewer partitions than planned (keys
 * would map elsewhere than where their history is). Config differences are `layoutDrift`: worth
 * saying, not worth refusing to start over.
 */
export function layoutProblems(plans: readonly TopicPlan[], found: ReadonlyMap<string, TopicFound>): string[] {
  const problems: string[] = [];
  for (const plan of plans) {
    const topic = found.get(plan.name);
    if (topic === undefined) problems.push(`topic ${plan.name} is missing (needs ${plan.partitions} partitions)`);
    else if (topic.partitions < plan.partitions) problems.push(`topic ${plan.name} has ${topic.partitions} partitions, needs at least ${plan.partitions}`);
  }
  return problems;
}

export function layoutDrift(plans: readonly TopicPlan[], found: ReadonlyMap<string, TopicFound>): string[] {
  const drift: string[] = [];
  for (const plan of plans) {
    const topic = found.get(plan.name);
    if (topic === undefined) continue;
    for (const [name, wanted] of Object.entries(plan.configs)) {
      const actual = topic.configs[name];
      if (actual !== wanted) drift.push(`topic ${plan.name}: ${name} is ${actual ?? 'unknown'}, the config says ${wanted}`);
    }
  }
  return drift;
}

/** One line per topic, for `fleetwire cloud topics plan`. */
export function describePlan(plan: TopicPlan, found: TopicFound | undefined): string {
  const configs = Object.entries(plan.configs).map(([k, v]) => `${k}=${v}`).join(' ');
  const state = found === undefined ? 'missing: will be created' : found.partitions < plan.partitions ? `has ${found.partitions} partitions: too few` : 'exists';
  const replication = plan.replicationFactor === -1 ? 'broker default' : String(plan.replicationFactor);
  return `${plan.name}  partitions=${plan.partitions} replication=${replication} ${configs}  (${plan.logical}; ${state})`;
}
