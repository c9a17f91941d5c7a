// Image references pinned to an exact version or a digest (used by the Dockerfile, compose and
// Kubernetes checks). `latest`, no tag, or a major/minor line such as `redis:7` or `nginx:1.27`
// moves under you: a rebuild or a new node pulls something else than what was tested.
//   pinned:     node:24.22.3-bookworm-slim, postgres:16.15, redis:7.4.11, axllent/mailpit:v1.29.7,
//               registry.example.com/app:1.0.0, anything@sha256:<64 hex>
//   not pinned: node:24-bookworm-slim, redis:7, nginx:1.27, mailpit:latest, app
// PostgreSQL numbers releases major.minor (16.15 is one exact release); everything else needs
// three version components.

const twoComponentVersions = new Set(['postgres']);

// MinIO tags its releases by date and time (RELEASE.2025-04-22T22-12-26Z): one exact build.
const RELEASE_TAG = /:RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/;

export function isPinnedImage(reference) {
  if (/@sha256:[0-9a-f]{64}$/.test(reference)) return true;
  if (RELEASE_TAG.test(reference)) return true;
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon <= slash) return false; // no tag at all
  const name = reference.slice(slash + 1, colon);
  const tag = reference.slice(colon + 1);
  const version = /^v?(\d+(?:\.\d+)*)(?:[-_][\w.-]+)?$/.exec(tag);
  if (!version) return false;
  const components = version[1].split('.').length;
  return components >= (twoComponentVersions.has(name) ? 2 : 3);
}
