/**
 * Topics in the cluster, through kafkajs' admin client: what exists (partitions and the configs
 * the cloud sets), and creating what the layout plans. A cluster that refuses creation (no
 * CREATE right) is answered with the exact list of what is missing, so an operator can create
 * it (`fleetwire cloud topics apply` with an account that may) or grant the right.
 */
import kafkajs, { type Admin } from 'kafkajs';
import { CloudError } from '../../errors.js';
import { layoutProblems, type TopicFound, type TopicPlan } from './topic-layout.js';

// kafkajs is CommonJS and Node's ESM loader does not see this one among its named exports.
const { ConfigResourceTypes } = kafkajs;

const CHECKED_CONFIGS = ['retention.ms', 'cleanup.policy', 'min.insync.replicas', 'max.message.bytes', 'segment.ms'];

export async function findTopics(admin: Admin, names: readonly string[]): Promise<Map<string, TopicFound>> {
  const existing = new Set(await admin.listTopics());
  const present = names.filter((n) => existing.has(n));
  const found = new Map<string, TopicFound>();
  if (present.length === 0) return found;
  const { topics } = await admin.fetchTopicMetadata({ topics: present });
  const described = await admin.describeConfigs({
    resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: CHECKED_CONFIGS })),
    includeSynonyms: false,
  });
  for (const topic of topics) {
    const resource = described.resources.find((r) => r.resourceName === topic.name);
    const configs = Object.fromEntries((resource?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
    found.set(topic.name, { partitions: topic.partitions.length, configs });
  }
  return found;
}

/** kafkajs answers a refused creation with an aggregate of per-topic errors. */
function isAuthorizationError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { type?: string; message?: string; cause?: unknown; errors?: unknown[] };
  return /AUTHORIZATION_FAILED/.test(e.type ?? '') || /not authorized/i.test(e.message ?? '') || isAuthorizationError(e.cause) ||
    (Array.isArray(e.errors) && e.errors.some(isAuthorizationError));
}

/**
 * Creates the planned topics that are missing (when `create`), then checks them all; throws
 * FW_BUS_TOPICS_MISSING naming each missing topic or short partition count.
 */
export async function ensureTopicLayout(admin: Admin, plans: readonly TopicPlan[], create: boolean, timeoutMs: number): Promise<Map<string, TopicFound>> {
  let found = await findTopics(admin, plans.map((p) => p.name));
  const missing = plans.filter((p) => !found.has(p.name));
  let refused = '';
  if (create && missing.length > 0) {
    try {
      await admin.createTopics({
        topics: missing.map((p) => ({
          topic: p.name, numPartitions: p.partitions, replicationFactor: p.replicationFactor,
          configEntries: Object.entries(p.configs).map(([name, value]) => ({ name, value })),
        })),
        waitForLeaders: true,
        timeout: timeoutMs,
      });
    } catch (error) {
      // Created meanwhile by another instance: fine, checked below. Refused: said below.
      if (isAuthorizationError(error)) refused = ' — the cluster refused to create them (no CREATE right for this user)';
      else if (!/already exists/i.test((error as Error).message)) throw error;
    }
    found = await findTopics(admin, plans.map((p) => p.name));
  }
  const problems = layoutProblems(plans, found);
  if (problems.length > 0) {
    const how = create ? refused : ' (topics.create is false)';
    throw new CloudError('FW_BUS_TOPICS_MISSING',
      `kafka bus: topics not ready${how}:\n  - ${problems.join('\n  - ')}\n` +
        'create them with `fleetwire cloud topics apply` (as a user that may), or grant this user CREATE on them',
      { canRetry: false });
  }
  return found;
}
