#!/usr/bin/env node
// Offline schema check of deploy/k8s: every document of every manifest is validated against the
// Kubernetes OpenAPI schema of its apiVersion/kind (kubernetes-models ships the schemas, so no
// cluster and no download). Also checks that kustomization.yaml names only existing files and
// that every label selector matches its pod template. Exit 1 on the first report of problems.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

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
    if (labels[key] !== value) problems.push(`${file}: ${doc.kind} selector ${key}=${value} does not match its pod template`);
  }
}

for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
  const text = readFileSync(path.join(dir, file), 'utf8');
  for (const parsed of parseAllDocuments(text)) {
    if (parsed.errors.length > 0) {
      problems.push(`${file}: YAML: ${parsed.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const doc = parsed.toJS();
    if (!doc) continue;
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

if (problems.length > 0) {
  for (const problem of problems) console.error(`k8s: ${problem}`);
  process.exit(1);
}
console.log(`k8s: ${validated} manifests valid against the Kubernetes schemas (deploy/k8s)`);
