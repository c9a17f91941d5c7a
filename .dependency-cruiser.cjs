// The direction of imports in src/, enforced by `npm run lint` (dependency-cruiser).
//
//   server.ts, worker.ts  ->  compose/  ->  modules/  ->  plugins/  ->  infra/  ->  db/, lib/, config.ts
//
// A layer imports only the layers to its right (and itself); nothing imports up, and no
// import chain may come back to where it started. Each folder's README.md says what lives there.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle ties modules together so that neither can be understood, tested or removed alone.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'lib-imports-nothing-of-the-app',
      severity: 'error',
      comment: 'src/lib holds plain helpers: they know no database, Redis, HTTP plugin or feature.',
      from: { path: '^src/lib/' },
      to: { path: '^src/(?!lib/)' },
    },
    {
      name: 'config-is-the-foundation',
      severity: 'error',
      comment: 'config.ts is read by every layer; it may only use lib/ and the queue names it validates.',
      from: { path: '^src/config\\.ts$' },
      to: { path: '^src/(?!lib/|infra/queues/definitions\\.ts$|config\\.ts$)' },
    },
    {
      name: 'db-below-infrastructure',
      severity: 'error',
      comment: 'src/db opens PostgreSQL; it knows nothing of Redis, HTTP or the features that use it.',
      from: { path: '^src/db/' },
      to: { path: '^src/(infra|plugins|modules|compose)/' },
    },
    {
      name: 'infra-below-features',
      severity: 'error',
      comment:
        'Infrastructure (Redis, queues, realtime hub, storage, mail, logging) serves features, never imports them.',
      from: { path: '^src/infra/' },
      to: { path: '^src/(plugins|modules|compose)/' },
    },
    {
      name: 'plugins-below-modules',
      severity: 'error',
      comment: 'HTTP plugins get what they need from a module through their options (a port), not by import.',
      from: { path: '^src/plugins/' },
      to: { path: '^src/(modules|compose)/' },
    },
    {
      name: 'modules-below-compose',
      severity: 'error',
      comment: 'A module is built by a composition root; it never reaches back into one.',
      from: { path: '^src/modules/' },
      to: { path: '^src/compose/' },
    },
    {
      name: 'compose-only-from-entry-points',
      severity: 'error',
      comment: 'Only the process entry points start a composition root.',
      from: { path: '^src/', pathNot: '^src/(compose/|server\\.ts$|worker\\.ts$)' },
      to: { path: '^src/compose/' },
    },
    {
      name: 'src-never-imports-tests-or-tools',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|tools|scripts|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    // Type-only imports count: a type import up the layers couples them just the same.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
