/**
 * The container, compose and Helm files against the code: no container engine or helm runs
 * here, so this reads them. The compose file and the chart must parse — the chart without
 * helm: its template expressions are replaced by placeholders and control lines dropped, which
 * checks the YAML around them but not helm's own rendering — and every image, port, volume,
 * config file and FLEETWIRE_* variable they use must exist in the code and its docs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES as CLOUD_VARIABLES, loadCloudConfig, resolveCloudConfig } from '@fleetwire/cloud';
import { ENV_OVERRIDES as EDGE_VARIABLES, loadEdgeConfig } from '@fleetwire/edge';
import { COMMANDS } from '../src/cli/commands.js';

const REPO = resolve(import.meta.dirname, '../..');
const read = (path: string): string => readFileSync(join(REPO, path), 'utf8');
const VERSION = (JSON.parse(read('package.json')) as { version: string }).version;
const DOCS = readdirSync(join(REPO, 'docs')).map((name) => read(`docs/${name}`)).join('\n') + read('README.md');

/** Product sources (not tests): where a FLEETWIRE_* variable must be read. */
function productSources(): string {
  return ['protocol', 'edge', 'cloud', 'simulators', 'deploy']
    .flatMap((pkg) => readdirSync(join(REPO, pkg, 'src'), { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8')))
    .join('\n');
}

const variablesIn = (text: string): string[] => [...new Set(text.match(/\bFLEETWIRE_[A-Z0-9_]+/g) ?? [])];

interface ComposeService {
  image: string;
  command?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  mem_limit?: string;
}
const compose = parse(read('deploy/compose/compose.yaml')) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const services = compose.services;
const fleetwireServices = Object.entries(services).filter(([, s]) => s.image.startsWith('fleetwire:'));
const containerfile = read('deploy/container/Containerfile');

interface Container {
  ports: unknown;
  args: string[];
  livenessProbe: { httpGet: unknown };
  readinessProbe: { httpGet: unknown };
}
interface ChartDocument {
  kind: string;
  spec: {
    template?: { spec: { securityContext: { runAsNonRoot: boolean }; containers: Container[] } };
    scaleTargetRef?: { kind: string };
  };
}
interface Values {
  image: { repository: string; tag: string };
  http: { operator: { enabled: boolean; port: number } };
  consumers: Record<string, { config: Record<string, { enabled: boolean }> }>;
}

/** The chart's templates as YAML: control lines dropped, expressions replaced by a placeholder. */
function chartDocuments(): ChartDocument[] {
  const dir = join(REPO, 'deploy/helm/fleetwire/templates');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .flatMap((name) => {
      const text = readFileSync(join(dir, name), 'utf8')
        .split('\n')
        .filter((line) => !/^\s*\{\{-?[^}]*-?\}\}\s*$/.test(line))
        .map((line) => line.replace(/\{\{-?.*?-?\}\}/g, 'x'))
        .join('\n');
      return parseAllDocuments(text).map((doc) => {
        expect(doc.errors.map((e) => `${name}: ${e.message}`)).toEqual([]);
        return doc.toJS() as ChartDocument | null;
      });
    })
    .filter((doc): doc is ChartDocument => doc !== null);
}

/**
 * One helper of the chart's `_helpers.tpl` rendered with `values` — just enough of helm's template
 * language for the helpers: `if`/`else`/`end` on a value, a value with or without `| quote`,
 * comments and `-` trimming.
 */
function renderHelper(name: string, values: unknown): string {
  const text = read('deploy/helm/fleetwire/templates/_helpers.tpl');
  const parts = text.slice(text.indexOf(`{{- define "${name}" -}}`)).split(/(\{\{-?.*?-?\}\})/);
  for (let i = 1; i < parts.length; i += 2) {
    if ((parts[i] as string).startsWith('{{-')) parts[i - 1] = (parts[i - 1] as string).trimEnd();
    if ((parts[i] as string).endsWith('-}}')) parts[i + 1] = (parts[i + 1] as string).trimStart();
  }
  const valueOf = (path: string): unknown => path.split('.').slice(2).reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], values);
  const emitting: boolean[] = [];
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (i % 2 === 0) {
      if (emitting.every(Boolean)) out += part;
      continue;
    }
    const action = part.replace(/^\{\{-?\s*|\s*-?\}\}$/g, '');
    if (action.startsWith('define') || action.startsWith('/*')) {
      if (action.startsWith('define')) emitting.push(true);
    } else if (action.startsWith('if ')) emitting.push(Boolean(valueOf(action.slice(3).trim())));
    else if (action === 'else') emitting.push(!(emitting.pop() as boolean));
    else if (action === 'end') {
      emitting.pop();
      if (emitting.length === 0) return out;
    } else if (emitting.every(Boolean)) {
      const [path, filter] = action.split('|').map((p) => p.trim()) as [string, string | undefined];
      out += filter === 'quote' ? JSON.stringify(String(valueOf(path))) : String(valueOf(path));
    }
  }
  throw new Error(`helper ${name}: no end`);
}

describe('compose file', () => {
  it('runs Kafka 4 in KRaft mode, VictoriaMetrics, Grafana, the cloud, an edge agent and the simulators', () => {
    expect(Object.keys(services).sort()).toEqual(['cloud', 'edge', 'grafana', 'kafka', 'simulators', 'victoria-metrics']);
    expect(services.kafka!.image).toMatch(/^apache\/kafka:4\.\d+\.\d+$/);
    expect(String(services.kafka!.environment!.KAFKA_PROCESS_ROLES)).toBe('broker,controller');
    for (const [name, service] of Object.entries(services)) expect(service.image, name).toMatch(/:[\w.${}:-]+$/);
  });

  it('runs the fleetwire image of this release with commands the command line knows', () => {
    const commands = new Set(COMMANDS.map((c) => c.name));
    expect(fleetwireServices.map(([name]) => name).sort()).toEqual(['cloud', 'edge', 'simulators']);
    for (const [name, service] of fleetwireServices) {
      expect(service.image, name).toBe(`fleetwire:\${IMAGE_TAG:-${VERSION}}`);
      expect(commands.has(service.command![0]!), `${name}: ${service.command![0]}`).toBe(true);
    }
    expect(containerfile).toMatch(/ENTRYPOINT \["\/opt\/fleetwire\/bin\/fleetwire"\]/);
    expect(containerfile).toContain('COPY dist/release/fleetwire-${VERSION}.tar.gz');
    expect(containerfile).toMatch(/^USER node$/m);
  });

  it('mounts files that exist and named volumes it declares', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(':') as [string];
        if (source.startsWith('.')) expect(existsSync(resolve(REPO, 'deploy/compose', source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: ${source}`).toHaveProperty(source);
      }
    }
  });

  it('gives the cloud and the edge configs the code accepts, on the ports the containers publish and probe', () => {
    const cloud = resolveCloudConfig(JSON.parse(read('deploy/compose/cloud/cloud.json')));
    expect(cloud.bus).toMatchObject({ kind: 'kafka', brokers: ['kafka:9092'] });
    expect(String(services.kafka!.environment!.KAFKA_LISTENERS)).toContain('PLAINTEXT://:9092');
    expect(new URL(cloud.tsdb!.url).host).toBe('victoria-metrics:8428');
    expect(services.cloud!.ports).toEqual([`${cloud.http.port}:${cloud.http.port}`]);
    const edge = loadEdgeConfig({ file: join(REPO, 'deploy/compose/edge/edge.json'), env: { FLEETWIRE_EDGE_NODE_TOKEN: 'x'.repeat(40) } });
    expect(new URL(edge.cloud.url).host).toBe(`cloud:${cloud.http.port}`);
    expect(existsSync(edge.devices.registryFile)).toBe(true);
    expect(services.edge!.ports).toEqual([`${edge.mqtt.port}:${edge.mqtt.port}`, `8081:${edge.http.port}`]);
    expect(services.simulators!.command).toContain(`mqtt://edge:${edge.mqtt.port}`);
    // The image exposes and health-checks the same ports.
    expect(containerfile).toContain(`EXPOSE ${cloud.http.port} ${edge.mqtt.port}`);
    expect(containerfile).toContain(`http://127.0.0.1:${edge.http.port}/healthz`);
    const scrape = parse(read('deploy/compose/victoria-metrics/scrape.yaml')) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    expect(scrape.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets)).sort()).toEqual([`cloud:${cloud.http.port}`, `edge:${edge.http.port}`]);
  });

  it('bounds the edge container as the systemd unit bounds the agent: the same V8 flags and memory limit', () => {
    const unit = read('deploy/edge/fleetwire-edge.service');
    const nodeOptions = /^Environment="NODE_OPTIONS=([^"]+)"$/m.exec(unit)?.[1];
    const memoryMax = /^MemoryMax=(\d+)M$/m.exec(unit)?.[1];
    expect(nodeOptions).toMatch(/--max-old-space-size=\d+/);
    expect(services.edge!.environment!.NODE_OPTIONS).toBe(nodeOptions);
    expect(services.edge!.mem_limit).toBe(`${memoryMax}m`);
  });

  it('provisions Grafana with the data sources and dashboards of deploy/grafana', () => {
    const grafana = services.grafana!;
    const provider = parse(read('deploy/grafana/provisioning/dashboards/fleetwire.yaml')) as { providers: Array<{ options: { path: string } }> };
    expect(grafana.volumes).toContain(`../grafana/dashboards:${provider.providers[0]!.options.path}:ro`);
    const datasources = read('deploy/grafana/provisioning/datasources/fleetwire.yaml');
    for (const variable of datasources.match(/\$\{(\w+)\}/g)!.map((v) => v.slice(2, -1))) expect(grafana.environment).toHaveProperty(variable);
    const uids = (parse(datasources) as { datasources: Array<{ uid: string }> }).datasources.map((d) => d.uid);
    for (const file of readdirSync(join(REPO, 'deploy/grafana/dashboards'))) {
      const used = [...read(`deploy/grafana/dashboards/${file}`).matchAll(/"uid": "(fleetwire-(?:tsdb|metrics))"/g)].map((m) => m[1]);
      expect(used.filter((uid) => !uids.includes(uid as string)), file).toEqual([]);
    }
  });
});

describe('Helm chart', () => {
  const chart = parse(read('deploy/helm/fleetwire/Chart.yaml')) as { appVersion: string };
  const values = parse(read('deploy/helm/fleetwire/values.yaml')) as Values;
  const templates = readdirSync(join(REPO, 'deploy/helm/fleetwire/templates')).map((name) => read(`deploy/helm/fleetwire/templates/${name}`)).join('\n');
  const documents = chartDocuments();

  it('is this release with the image compose runs', () => {
    expect(chart.appVersion).toBe(VERSION);
    expect(`${values.image.repository}:${values.image.tag}`).toBe(`fleetwire:${VERSION}`);
  });

  it('refers only to values that values.yaml defines', () => {
    for (const [, path] of templates.matchAll(/\$?\.Values\.([\w.]+)/g)) {
      const value = (path as string).split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], values);
      expect(value, `.Values.${path}`).toBeDefined();
    }
    for (const [, key] of templates.matchAll(/\$consumer\.(\w+)/g)) {
      for (const [name, consumer] of Object.entries(values.consumers)) expect(consumer, `${name}.${key}`).toHaveProperty(key as string);
    }
  });

  it('runs ingest behind a Service with probes and an autoscaler, each consumer as its own Deployment, with disruption budgets', () => {
    const kinds = documents.map((doc) => doc.kind as string);
    for (const kind of ['ConfigMap', 'Secret', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) expect(kinds).toContain(kind);
    const deployments = documents.filter((doc) => doc.kind === 'Deployment');
    // The ingest template and the consumers' range body.
    expect(deployments).toHaveLength(2);
    expect(documents.filter((doc) => doc.kind === 'PodDisruptionBudget')).toHaveLength(2);
    const port = resolveCloudConfig({}).http.port;
    for (const deployment of deployments) {
      const container = deployment.spec.template!.spec.containers[0]!;
      expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
      // The probe port is the `fleetwire.probePort` helper's (see the operator listener's test).
      expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'x' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'x' });
      expect(container.args[0]).toBe('cloud');
      expect(deployment.spec.template!.spec.securityContext.runAsNonRoot).toBe(true);
    }
    const hpa = documents.find((doc) => doc.kind === 'HorizontalPodAutoscaler')!;
    expect(hpa.spec.scaleTargetRef!.kind).toBe('Deployment');
    expect(templates).toMatch(/name: \{\{ \.Release\.Name \}\}-ingest\n[\s\S]*scaleTargetRef:[\s\S]*name: \{\{ \.Release\.Name \}\}-ingest/);
  });

  it('moves the probes and the fleet Service to the cloud\'s operator listener when http.operator is enabled, and leaves one listener otherwise', () => {
    const defaults = resolveCloudConfig({ http: { operator: {} } }).http.operator;
    expect(values.http.operator).toEqual({ enabled: false, port: defaults?.port });
    // Disabled (the default): probes on `http`, no second port, no variables.
    expect(renderHelper('fleetwire.probePort', values)).toBe('http');
    expect(renderHelper('fleetwire.operatorPort', values)).toBe('');
    expect(renderHelper('fleetwire.operatorEnv', values)).toBe('');
    // Enabled: a second port named `operator`, the probes on it, and variables the cloud reads as a listener on every interface.
    const enabled = { ...values, http: { operator: { enabled: true, port: 9500 } } };
    expect(renderHelper('fleetwire.probePort', enabled)).toBe('operator');
    expect(parse(renderHelper('fleetwire.operatorPort', enabled))).toEqual([{ name: 'operator', containerPort: 9500 }]);
    const env = parse(renderHelper('fleetwire.operatorEnv', enabled)) as Array<{ name: string; value: string }>;
    expect(loadCloudConfig({ env: Object.fromEntries(env.map((e) => [e.name, e.value])) }).http.operator).toEqual({ host: '0.0.0.0', port: 9500 });
    // Every Deployment (ingest and the consumers) uses the helpers: the second port, its variables, both probes.
    for (const file of ['ingest.yaml', 'consumers.yaml']) {
      const template = read(`deploy/helm/fleetwire/templates/${file}`);
      expect(template, file).toMatch(/containerPort: 8080\n\s*\{\{- include "fleetwire\.operatorPort" [$.] \| nindent 12 \}\}/);
      expect(template, file).toMatch(/\{\{- include "fleetwire\.operatorEnv" [$.] \| nindent 12 \}\}/);
      expect(template.match(/port: \{\{ include "fleetwire\.probePort" [$.] \}\}/g), file).toHaveLength(2);
    }
    // The fleet API and the dashboard answer on the operator listener then: the Service carries its port.
    const service = documents.find((doc) => doc.kind === 'Service' && JSON.stringify(doc).includes('"operator"')) as unknown as { spec: { ports: unknown[] } };
    expect(service.spec.ports).toContainEqual({ name: 'operator', port: 'x', targetPort: 'operator' });
  });

  it('gives every consumer a config the cloud accepts, one role each', () => {
    const roles = Object.entries(values.consumers);
    expect(roles.map(([name]) => name).sort()).toEqual(['analytics', 'fleet', 'maintenance', 'tsdb-sink']);
    for (const [name, consumer] of roles) {
      const config = resolveCloudConfig({ ...consumer.config, bus: { kind: 'kafka', brokers: ['kafka:9092'] } });
      const enabled = ['fleet', 'analytics', 'maintenance'].filter((service) => (config as unknown as Record<string, { enabled: boolean }>)[service]!.enabled);
      expect(enabled, name).toEqual(name === 'tsdb-sink' ? [] : [name]);
    }
  });
});

describe('FLEETWIRE_* variables of the packaging files', () => {
  const files = ['deploy/compose/compose.yaml', 'deploy/compose/demo.env', 'deploy/container/Containerfile', 'deploy/edge/fleetwire-edge.service', 'deploy/edge/install.sh',
    ...readdirSync(join(REPO, 'deploy/helm/fleetwire/templates')).map((name) => `deploy/helm/fleetwire/templates/${name}`)];
  const used = [...new Set(files.flatMap((file) => variablesIn(read(file))))];

  it('are read by the code', () => {
    const known = new Set([...CLOUD_VARIABLES, ...Object.keys(EDGE_VARIABLES)]);
    const sources = productSources();
    expect(used.length).toBeGreaterThan(8);
    expect(used.filter((variable) => !known.has(variable) && !sources.includes(`'${variable}'`))).toEqual([]);
  });

  it('are documented', () => {
    expect(used.filter((variable) => !DOCS.includes(variable))).toEqual([]);
  });
});
