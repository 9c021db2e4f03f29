/**
 * deploy/kubernetes cannot be applied here (no cluster, no kubectl), so it is kept correct by reading: the
 * kustomization lists files that exist, the pods get only variables the gateway reads, ports and probes
 * are the app's own, both roles run at least twice, selectors point at the pods they mean, the app can
 * write where it must on a read-only root, and the Secret example holds placeholders only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../core/config.js';

const DIR = fileURLToPath(new URL('../deploy/kubernetes/', import.meta.url));

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are read as plain YAML. */
type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [key: string]: any };
  [key: string]: any;
};

const read = (file: string): K8sObject[] =>
  parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')).map((d) => {
    expect(d.errors, file).toEqual([]);
    return d.toJS() as K8sObject;
  });

const kustomization = read('kustomization.yaml')[0]!;
const resources = kustomization.resources as string[];
const objects = resources.flatMap(read);
const find = (kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among the kustomization's resources`);
  return found;
};
const configMap = find('ConfigMap', 'minsheng-config');
const secretExample = read('secret.example.yaml')[0]!;
const deployments = objects.filter((o) => o.kind === 'Deployment');
const containerOf = (deployment: K8sObject) => deployment.spec.template.spec.containers[0];
const roleOf = (deployment: K8sObject) =>
  containerOf(deployment).env.find((e: { name: string }) => e.name === 'MINSHENG_ROLE')?.value as string;
const api = deployments.find((d) => roleOf(d) === 'api')!;
const worker = deployments.find((d) => roleOf(d) === 'worker')!;
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deploy/kubernetes', () => {
  it('lists in kustomization.yaml every manifest there is, and only those (the Secret example excepted)', () => {
    const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    expect([...resources].sort()).toEqual(files.filter((f) => f !== 'secret.example.yaml').sort());
    expect(resources).not.toContain('secret.example.yaml');
    expect(kustomization.namespace).toBe('minsheng');
    expect(find('Namespace', 'minsheng')).toBeDefined();
  });

  it('gives the pods only variables the gateway reads, and a configuration it accepts', () => {
    const names = [
      ...Object.keys(configMap.data),
      ...Object.keys(secretExample.stringData),
      ...deployments.flatMap((d) => containerOf(d).env.map((e: { name: string }) => e.name)),
    ];
    for (const name of names) expect(CONFIG_VARIABLES, name).toContain(name);
    // Real values in place of the Secret's placeholders: the config loads, as each role.
    for (const role of ['api', 'worker']) {
      const config = loadConfig({
        ...configMap.data,
        DATABASE_URL: 'postgres://minsheng:secret@db.internal:5432/minsheng',
        REDIS_URL: 'redis://:secret@redis.internal:6379',
        MINSHENG_TOKEN_SECRET: 'x'.repeat(40),
        MINSHENG_ROLE: role,
      });
      expect(config.role).toBe(role);
    }
    for (const deployment of deployments) {
      const from = containerOf(deployment).envFrom as {
        configMapRef?: { name: string };
        secretRef?: { name: string };
      }[];
      expect(from.map((f) => f.configMapRef?.name ?? f.secretRef?.name)).toEqual([
        configMap.metadata.name,
        secretExample.metadata.name,
      ]);
    }
  });

  it('runs both roles at least twice, scaled by autoscalers that never go below two', () => {
    expect(api.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(worker.spec.replicas).toBeGreaterThanOrEqual(2);
    for (const deployment of [api, worker]) {
      const hpa = objects.find(
        (o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === deployment.metadata.name,
      );
      expect(hpa?.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa?.spec.maxReplicas).toBeGreaterThan(hpa?.spec.minReplicas);
      const pdb = objects.find(
        (o) =>
          o.kind === 'PodDisruptionBudget' &&
          matches(o.spec.selector.matchLabels, deployment.spec.template.metadata.labels),
      );
      expect(pdb?.spec.minAvailable).toBeGreaterThanOrEqual(1);
      expect(matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    }
    // Each selector picks one role: a PDB or Service for the API never counts the workers.
    expect(matches(api.spec.selector.matchLabels, worker.spec.template.metadata.labels)).toBe(false);
  });

  it('uses the port and the probe paths the app serves', () => {
    const port = Number(configMap.data.PORT);
    expect(readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8')).toMatch(
      new RegExp(`^EXPOSE ${port}$`, 'm'),
    );
    const app = readFileSync(new URL('../api/app.ts', import.meta.url), 'utf8');
    for (const route of ['/healthz', '/readyz', '/metrics']) expect(app).toContain(`app.get('${route}'`);
    for (const deployment of deployments) {
      const container = containerOf(deployment);
      expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
      expect(container.image).toBe(kustomization.images[0].name);
      expect(container.startupProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      // Room for the first start (about 15 s) before liveness counts.
      expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBeGreaterThanOrEqual(60);
      expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(port));
    }
    const service = find('Service', 'minsheng-api');
    expect(matches(service.spec.selector, api.spec.template.metadata.labels)).toBe(true);
    expect(service.spec.sessionAffinity).toBeUndefined();
    expect(service.spec.ports[0].targetPort).toBe('http');
  });

  it('routes the public host to the API Service, with WebSocket-friendly timeouts', () => {
    const ingress = objects.find((o) => o.kind === 'Ingress')!;
    const rule = ingress.spec.rules[0];
    expect(rule.host).toBe(new URL(configMap.data.PUBLIC_URL).host);
    const backend = rule.http.paths[0].backend.service;
    const service = find('Service', backend.name);
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(backend.port.name);
    for (const timeout of ['proxy-read-timeout', 'proxy-send-timeout']) {
      // Longer than the gateway's 30 s keep-alive ping on streams and desks.
      expect(Number(ingress.metadata.annotations[`nginx.ingress.kubernetes.io/${timeout}`])).toBeGreaterThan(60);
    }
  });

  it('runs unprivileged on a read-only root, writing only to emptyDirs, NLU_CACHE_DIR among them', () => {
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      const container = containerOf(deployment);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      for (const volume of pod.volumes) expect(Object.keys(volume).sort()).toEqual(['emptyDir', 'name']);
      const mounts = (container.volumeMounts as { mountPath: string }[]).map((m) => m.mountPath);
      expect(mounts).toContain('/tmp');
      expect(mounts.some((m) => configMap.data.NLU_CACHE_DIR.startsWith(m))).toBe(true);
      expect(container.resources.requests).toBeDefined();
      expect(container.resources.limits.memory).toBeDefined();
    }
  });

  it('keeps secrets out: the Secret example holds placeholders only, and nothing else holds a secret', () => {
    expect(secretExample.kind).toBe('Secret');
    for (const [name, value] of Object.entries(secretExample.stringData as Record<string, string>)) {
      expect(value, name).toMatch(/^<[^<>]+>$/);
    }
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'MINSHENG_TOKEN_SECRET']) {
      expect(Object.keys(secretExample.stringData)).toContain(name);
      expect(Object.keys(configMap.data)).not.toContain(name);
    }
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('lets the ingress controller reach the API pods and nothing reach the workers but monitoring', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const ingressOf = (deployment: K8sObject) =>
      policies.filter(
        (p) =>
          p.spec.policyTypes.includes('Ingress') &&
          matches(p.spec.podSelector.matchLabels, deployment.spec.template.metadata.labels),
      );
    const sources = (deployment: K8sObject) =>
      ingressOf(deployment).flatMap((p) =>
        p.spec.ingress.flatMap((rule: any) =>
          rule.from.map((f: any) => f.namespaceSelector.matchLabels['kubernetes.io/metadata.name']),
        ),
      );
    expect(sources(api)).toContain('ingress-nginx');
    expect(sources(worker)).toEqual(['monitoring']);
    const egress = policies.find((p) => p.spec.policyTypes.includes('Egress'))!;
    const ports = egress.spec.egress.flatMap((rule: any) => rule.ports.map((p: { port: number }) => p.port));
    expect(ports).toEqual(expect.arrayContaining([53, 5432, 6379, 443]));
  });
});
