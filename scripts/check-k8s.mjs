#!/usr/bin/env node
// Offline schema check of deploy/k8s: every document of every manifest is validated against the
// Kubernetes OpenAPI schema of its apiVersion/kind (kubernetes-models ships the schemas, so no
// cluster and no download). Also checks that kustomization.yaml names only existing files and
// that every label selector matches its pod template, and the hardening every pod promises
// (checkHardening below). Exit 1 on the first report of problems.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { isPinnedImage } from './image-pins.mjs';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'k8s');
const problems = [];
let validated = 0;

async function modelFor(apiVersion, kind) {
  try {
    const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return module[kind];
  } catch {
    return undefined;
  }
}

function checkSelector(file, doc) {
  const selector = doc.spec?.selector?.matchLabels;
  const labels = doc.spec?.template?.metadata?.labels;
  if (!selector || !labels) return;
  for (const [key, value] of Object.entries(selector)) {
    if (labels[key] !== value)
      problems.push(`${file}: ${doc.kind} selector ${key}=${value} does not match its pod template`);
  }
}

const documents = [];
for (const file of readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()) {
  const text = readFileSync(path.join(dir, file), 'utf8');
  for (const parsed of parseAllDocuments(text)) {
    if (parsed.errors.length > 0) {
      problems.push(`${file}: YAML: ${parsed.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const doc = parsed.toJS();
    if (!doc) continue;
    documents.push({ file, doc });
    if (doc.kind === 'Kustomization') {
      for (const resource of doc.resources ?? []) {
        if (!existsSync(path.join(dir, resource))) problems.push(`${file}: resource ${resource} does not exist`);
      }
      continue;
    }
    const Model = await modelFor(doc.apiVersion, doc.kind);
    if (!Model) {
      problems.push(`${file}: unknown apiVersion/kind ${doc.apiVersion}/${doc.kind}`);
      continue;
    }
    try {
      new Model(doc).validate();
      validated++;
    } catch (err) {
      problems.push(`${file}: ${doc.kind} ${doc.metadata?.name}: ${err.message}`);
    }
    checkSelector(file, doc);
  }
}

checkHardening(documents);

if (problems.length > 0) {
  for (const problem of problems) console.error(`k8s: ${problem}`);
  process.exit(1);
}
console.log(
  `k8s: ${validated} manifests valid against the Kubernetes schemas (deploy/k8s); every pod non-root, seccomp RuntimeDefault, no capabilities, ` +
    'read-only root filesystem with an emptyDir /tmp, no service account token, images pinned; default-deny NetworkPolicy, api reachable from the ingress ' +
    '(and Prometheus) only; TRUST_PROXY no wider than /16; the example REDIS_URL carries a password',
);

/**
 * Hardening rules (issue 11, finding 16):
 * - every workload's pod: runAsNonRoot, seccompProfile RuntimeDefault, no service account token;
 *   every container: no privilege escalation, capabilities drop ALL (none added), read-only root
 *   filesystem with an emptyDir at /tmp, an image pinned to an exact version or digest
 * - NetworkPolicy: one default-deny (Ingress and Egress, no rules) over every pod of the app; the
 *   api admits connections only from selected namespaces' pods (no ipBlock, no open peer); the
 *   worker and the migrate Job admit none
 * - TRUST_PROXY: no entry wider than /16 (10.0.0.0/8 believes any pod of most clusters)
 * - the Secret example's REDIS_URL carries a password
 */
function checkHardening(docs) {
  const partOf = 'app.kubernetes.io/part-of';
  const workloads = docs.filter(({ doc }) => ['Deployment', 'Job', 'StatefulSet', 'DaemonSet'].includes(doc.kind));
  if (workloads.length === 0) problems.push('no workloads found');
  const matches = (selector, labels) =>
    Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v);
  const policies = docs.filter(({ doc }) => doc.kind === 'NetworkPolicy');

  for (const { file, doc } of workloads) {
    const where = `${file}: ${doc.kind} ${doc.metadata?.name}`;
    const pod = doc.spec?.template?.spec ?? {};
    const labels = doc.spec?.template?.metadata?.labels ?? {};
    if (pod.automountServiceAccountToken !== false)
      problems.push(`${where}: automountServiceAccountToken must be false`);
    if (pod.securityContext?.runAsNonRoot !== true)
      problems.push(`${where}: securityContext.runAsNonRoot must be true`);
    const podSeccomp = pod.securityContext?.seccompProfile?.type;
    const tmpVolumes = new Set((pod.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
    for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const at = `${where} container ${container.name}`;
      const sc = container.securityContext ?? {};
      if ((sc.seccompProfile?.type ?? podSeccomp) !== 'RuntimeDefault')
        problems.push(`${at}: seccompProfile must be RuntimeDefault`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation must be false`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${at}: capabilities must drop ALL`);
      if ((sc.capabilities?.add ?? []).length > 0) problems.push(`${at}: adds capabilities ${sc.capabilities.add}`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem must be true`);
      if (!(container.volumeMounts ?? []).some((m) => m.mountPath === '/tmp' && tmpVolumes.has(m.name)))
        problems.push(`${at}: needs an emptyDir mounted at /tmp (read-only root filesystem)`);
      if (!isPinnedImage(container.image ?? ''))
        problems.push(`${at}: image ${container.image} is not pinned to an exact version or digest`);
    }
    const denyAll = policies.some(
      ({ doc: p }) =>
        matches(p.spec?.podSelector, labels) &&
        ['Ingress', 'Egress'].every((t) => p.spec?.policyTypes?.includes(t)) &&
        !p.spec?.ingress &&
        !p.spec?.egress,
    );
    if (!denyAll) problems.push(`${where}: no default-deny NetworkPolicy (Ingress and Egress) selects its pods`);
    const admitting = policies.filter(
      ({ doc: p }) => matches(p.spec?.podSelector, labels) && (p.spec?.ingress ?? []).length > 0,
    );
    const isApi = labels['app.kubernetes.io/name'] === 'fastify-api';
    if (!isApi && admitting.length > 0)
      problems.push(`${where}: admits ingress (${admitting.map(({ doc: p }) => p.metadata.name)}), it serves nothing`);
    if (isApi && admitting.length === 0) problems.push(`${where}: no NetworkPolicy admits the ingress controller`);
    for (const { doc: p } of admitting) {
      for (const rule of p.spec.ingress) {
        const peers = rule.from ?? [];
        if (peers.length === 0)
          problems.push(
            `NetworkPolicy ${p.metadata.name}: an ingress rule without \`from\` admits every pod and address`,
          );
        for (const peer of peers)
          if (peer.ipBlock || !peer.namespaceSelector || !peer.podSelector)
            problems.push(
              `NetworkPolicy ${p.metadata.name}: ingress peers must name a namespace and its pods: ${JSON.stringify(peer)}`,
            );
      }
    }
  }
  if (
    !docs.some(({ doc }) => doc.kind === 'NetworkPolicy' && matches(doc.spec?.podSelector, { [partOf]: 'fastify-api' }))
  )
    problems.push('no NetworkPolicy selects the app by app.kubernetes.io/part-of');

  for (const { file, doc } of docs.filter(
    ({ doc: d }) => d.kind === 'ConfigMap' && d.data?.TRUST_PROXY !== undefined,
  )) {
    for (const entry of doc.data.TRUST_PROXY.split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const [address, bits] = entry.split('/');
      const prefix = bits === undefined ? (address.includes(':') ? 128 : 32) : Number(bits);
      const minimum = address.includes(':') ? 48 : 16;
      if (!(prefix >= minimum))
        problems.push(
          `${file}: TRUST_PROXY ${entry} is wider than /${minimum}: any pod or host in it could spoof client addresses`,
        );
    }
  }
  for (const { file, doc } of docs.filter(({ doc: d }) => d.kind === 'Secret')) {
    const url = doc.stringData?.REDIS_URL;
    if (url !== undefined && !new URL(url).password)
      problems.push(`${file}: REDIS_URL has no password (redis://:PASSWORD@host or rediss://user:PASSWORD@host)`);
  }
}
