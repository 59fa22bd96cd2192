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
import { ENV_VARIABLES as CLOUD_VARIABLES, resolveCloudConfig } from '@fleetwire/cloud';
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
      expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(container.args[0]).toBe('cloud');
      expect(deployment.spec.template!.spec.securityContext.runAsNonRoot).toBe(true);
    }
    const hpa = documents.find((doc) => doc.kind === 'HorizontalPodAutoscaler')!;
    expect(hpa.spec.scaleTargetRef!.kind).toBe('Deployment');
    expect(templates).toMatch(/name: \{\{ \.Release\.Name \}\}-ingest\n[\s\S]*scaleTargetRef:[\s\S]*name: \{\{ \.Release\.Name \}\}-ingest/);
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
