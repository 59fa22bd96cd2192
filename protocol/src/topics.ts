import { type DeviceKind, isDeviceId, isDeviceKind, isNodeId } from './ids.js';
import { invalidArgument } from './errors.js';
import { accept, reject, type Verdict } from './reasons.js';

/**
 * MQTT topics and the one place that decides who may publish or subscribe where.
 *
 *   fleetwire/v1/{kind}/{deviceId}/telemetry      device → edge
 *   fleetwire/v1/{kind}/{deviceId}/events         device → edge
 *   fleetwire/v1/{kind}/{deviceId}/commands/...   edge → device
 */
export const TOPIC_PREFIX = 'fleetwire/v1';
export const TOPIC_CHANNELS = ['telemetry', 'events', 'commands'] as const;
export type TopicChannel = (typeof TOPIC_CHANNELS)[number];
/** Channels a device publishes on; commands flow the other way. */
export type UplinkChannel = Exclude<TopicChannel, 'commands'>;

export interface TopicParts {
  kind: DeviceKind;
  deviceId: string;
  channel: TopicChannel;
  /** The levels below `commands/`, e.g. "unlock" or "charging/start"; only for commands. */
  command?: string;
}

/** Who is on the other end of an MQTT session, as established by authentication. */
export type Identity =
  | { role: 'device'; kind: DeviceKind; deviceId: string }
  | { role: 'edge'; nodeId: string };

export type DeviceIdentity = Extract<Identity, { role: 'device' }>;

const COMMAND_LEVEL_RE = /^[A-Za-z0-9_-]{1,64}$/;

function hasWildcard(topic: string): boolean {
  return topic.includes('+') || topic.includes('#');
}

export function parseTopic(topic: string): Verdict<TopicParts> {
  const levels = topic.split('/');
  const [root, version, kind, deviceId, channel, ...rest] = levels;
  if (`${root}/${version}` !== TOPIC_PREFIX || !isDeviceKind(kind) || !isDeviceId(deviceId)) {
    return reject('topic_unknown', `not a fleetwire topic: ${topic}`);
  }
  if ((channel === 'telemetry' || channel === 'events') && rest.length === 0) {
    return accept({ kind, deviceId, channel });
  }
  if (channel === 'commands' && rest.length > 0 && rest.every((level) => COMMAND_LEVEL_RE.test(level))) {
    return accept({ kind, deviceId, channel, command: rest.join('/') });
  }
  return reject('topic_unknown', `not a fleetwire topic: ${topic}`);
}

/** Throws ProtocolError on parts that parseTopic would refuse. */
export function formatTopic(parts: TopicParts): string {
  if (!isDeviceKind(parts.kind)) throw invalidArgument(`invalid kind: ${String(parts.kind)}`);
  if (!isDeviceId(parts.deviceId)) throw invalidArgument(`invalid deviceId: ${JSON.stringify(parts.deviceId)}`);
  const base = `${TOPIC_PREFIX}/${parts.kind}/${parts.deviceId}/${parts.channel}`;
  if (parts.channel !== 'commands') {
    if (parts.command !== undefined) throw invalidArgument('command is only valid on the commands channel');
    return base;
  }
  const command = parts.command ?? '';
  if (!command.split('/').every((level) => COMMAND_LEVEL_RE.test(level))) {
    throw invalidArgument(`invalid command: ${JSON.stringify(command)}`);
  }
  return `${base}/${command}`;
}

/** The filter a device subscribes to for its own commands. */
export function commandsFilter(kind: DeviceKind, deviceId: string): string {
  if (!isDeviceId(deviceId)) throw invalidArgument(`invalid deviceId: ${JSON.stringify(deviceId)}`);
  return `${TOPIC_PREFIX}/${kind}/${deviceId}/commands/#`;
}

/**
 * A device may publish only telemetry and events on its own topics; an edge node only
 * commands. Wildcards are never valid in a publish topic.
 */
export function authorizePublish(identity: Identity, topic: string): Verdict<TopicParts> {
  if (hasWildcard(topic)) return reject('topic_forbidden', `wildcard in publish topic: ${topic}`);
  const parsed = parseTopic(topic);
  if (!parsed.ok) return parsed;
  const parts = parsed.value;
  if (identity.role === 'edge') {
    if (!isNodeId(identity.nodeId)) return reject('topic_forbidden', 'edge identity has an invalid node id');
    if (parts.channel === 'commands') return parsed;
    return reject('topic_forbidden', `edge ${identity.nodeId} may publish only commands, not ${topic}`);
  }
  if (parts.kind !== identity.kind || parts.deviceId !== identity.deviceId) {
    return reject('topic_forbidden', `${identity.kind} ${identity.deviceId} may not publish to ${topic}`);
  }
  if (parts.channel === 'commands') {
    return reject('topic_forbidden', `${identity.kind} ${identity.deviceId} may not publish commands`);
  }
  return parsed;
}

function isValidFilter(filter: string): boolean {
  if (filter.length === 0) return false;
  const levels = filter.split('/');
  return levels.every((level, index) => {
    if (level === '#') return index === levels.length - 1;
    if (level === '+') return true;
    return !hasWildcard(level);
  });
}

/**
 * A device may subscribe only inside its own commands subtree; an edge node (bridge mode) to
 * any fleetwire filter. Filters that could reach another device's topics are forbidden; filters
 * that cannot reach a fleetwire topic at all are unknown.
 */
export function authorizeSubscribe(identity: Identity, filter: string): Verdict<string> {
  if (!isValidFilter(filter)) return reject('topic_unknown', `invalid topic filter: ${filter}`);
  const firstLevel = filter.split('/', 1)[0];
  const couldReachFleetwire = firstLevel === 'fleetwire' || firstLevel === '+' || firstLevel === '#';
  if (identity.role === 'edge') {
    if (firstLevel === 'fleetwire') return accept(filter);
    return reject(couldReachFleetwire ? 'topic_forbidden' : 'topic_unknown', `edge may not subscribe to ${filter}`);
  }
  if (isDeviceId(identity.deviceId)) {
    const own = `${TOPIC_PREFIX}/${identity.kind}/${identity.deviceId}/commands`;
    if (filter === own || filter.startsWith(`${own}/`)) return accept(filter);
  }
  return reject(
    couldReachFleetwire ? 'topic_forbidden' : 'topic_unknown',
    `${identity.kind} ${identity.deviceId} may not subscribe to ${filter}`,
  );
}
