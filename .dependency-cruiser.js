/*
 * The import rules of src/ (STYLE.md §2, docs/architecture.md), checked by
 * test/architecture/imports.test.ts with dependency-cruiser:
 *
 *   npx depcruise src --ignore-known      what the test runs
 *
 * - No import cycle anywhere, type-only imports included.
 * - Imports point down the layers; client/ and server/ never import each other.
 * - Another folder is reached only through its index.ts, except the hot-path files below.
 * - Each third-party library enters through its one folder or file.
 *
 * Known violations live in .dependency-cruiser-known-violations.json, an allowlist that may
 * only shrink: each entry names an issue that removes it. Regenerate it (after fixing, never to
 * admit a new violation) with:
 *
 *   npx depcruise src --output-type baseline > .dependency-cruiser-known-violations.json
 */

// Each folder, and the folders of src/ it must not import. Folders not listed here (new ones)
// are unconstrained until they are added; the table in docs/architecture.md is the source.
const FORBIDDEN_IMPORTS = {
  errors: ['util', 'call', 'protocol', 'discovery', 'transport', 'interceptors', 'resilience', 'balancer', 'auth', 'observability', 'client', 'server', 'decorators', 'app', 'testing', 'stream'],
  util: ['call', 'protocol', 'discovery', 'transport', 'interceptors', 'resilience', 'balancer', 'auth', 'observability', 'client', 'server', 'decorators', 'app', 'testing', 'stream'],
  call: ['protocol', 'discovery', 'transport', 'interceptors', 'resilience', 'balancer', 'auth', 'observability', 'client', 'server', 'decorators', 'app', 'testing', 'stream'],
  protocol: ['call', 'discovery', 'transport', 'interceptors', 'resilience', 'balancer', 'auth', 'observability', 'client', 'server', 'decorators', 'app', 'testing', 'stream'],
  discovery: ['call', 'protocol', 'transport', 'interceptors', 'resilience', 'balancer', 'auth', 'observability', 'client', 'server', 'decorators', 'app', 'testing', 'stream'],
  transport: ['call', 'discovery', 'interceptors', 'resilience', 'balancer', 'auth', 'observability', 'client', 'server', 'decorators', 'app', 'testing', 'stream'],
  interceptors: ['protocol', 'discovery', 'transport', 'resilience', 'balancer', 'auth', 'observability', 'client', 'server', 'decorators', 'app', 'testing', 'stream'],
  resilience: ['protocol', 'discovery', 'transport', 'interceptors', 'balancer', 'auth', 'observability', 'client', 'server', 'decorators', 'app', 'testing', 'stream'],
  balancer: ['protocol', 'transport', 'interceptors', 'resilience', 'auth', 'observability', 'client', 'server', 'decorators', 'app', 'testing', 'stream'],
  auth: ['protocol', 'discovery', 'transport', 'resilience', 'balancer', 'observability', 'client', 'server', 'decorators', 'app', 'testing', 'stream'],
  observability: ['protocol', 'discovery', 'transport', 'resilience', 'balancer', 'auth', 'client', 'server', 'decorators', 'app', 'testing', 'stream'],
  stream: ['discovery', 'transport', 'interceptors', 'resilience', 'balancer', 'auth', 'observability', 'client', 'server', 'decorators', 'app', 'testing'],
  client: ['server', 'decorators', 'app', 'testing'],
  server: ['client', 'decorators', 'app', 'testing', 'discovery', 'balancer', 'observability'],
  decorators: ['protocol', 'discovery', 'transport', 'balancer', 'auth', 'observability', 'client', 'server', 'app', 'testing', 'stream'],
  app: ['testing'],
  admission: ['call', 'protocol', 'discovery', 'transport', 'interceptors', 'resilience', 'balancer', 'auth', 'observability', 'client', 'server', 'decorators', 'app', 'testing'],
};

const layerRules = Object.entries(FORBIDDEN_IMPORTS).map(([from, forbidden]) => ({
  name: `layer-${from}`,
  comment: `${from}/ must not import ${forbidden.join(', ')} (docs/architecture.md, "Which folder may import which")`,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: `^src/(${forbidden.join('|')})/` },
}));

// Files another folder may import directly rather than through the folder's index.ts: the names
// every call reads. TypeScript compiles an index's re-exports to getters on an exports object V8
// keeps in dictionary mode, about 35 ns a read where a file's own export costs 1 ns
// (docs/performance.md). Only these; everything else goes through index.ts.
const HOT_PATH_FILES = [
  'call/invoker',
  'call/context-storage',
  'call/deadline',
  'call/deadline-stage',
  'call/deadline-timers',
  'protocol/frame',
  'protocol/frame-encoder',
  'protocol/messages',
  'protocol/request-head',
  'protocol/load-report',
  'protocol/stream-frames',
  'admission/admission',
  'util/turn-clock',
  'errors/rpc-error',
  'errors/error-reason',
];

// A library and the only place it may be imported from (type-only imports are free).
const LIBRARY_ENTRIES = [
  ['msgpackr', '^src/protocol/codecs/'],
  ['opossum', '^src/resilience/breakers\\.ts$'],
  ['etcd3', '^src/discovery/etcd/'],
  ['net', '^src/transport/tcp/'],
  ['tls', '^src/transport/tls/'],
  ['pino', '^src/app/'],
  ['inversify', '^src/(app|decorators)/'],
  ['@opentelemetry/api', '^src/observability/'],
];

const libraryRules = LIBRARY_ENTRIES.map(([lib, home]) => ({
  name: `library-${lib}`,
  comment: `${lib} enters Rivet through one place only (STYLE.md §2)`,
  severity: 'error',
  from: { path: '^src/', pathNot: home },
  to: { path: `^(node:)?${lib.replace('/', '\\/')}$|(^|/)node_modules/${lib.replace('/', '\\/')}/`, dependencyTypesNot: ['type-only'] },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle (type-only imports count: they tie the files together for every reader)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'testing-stays-out',
      comment: "rivet-rpc/testing is its own entry point: the main entry never re-exports it",
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/testing/' },
    },
    {
      name: 'through-index',
      comment: "Reach another folder only through its index.ts (STYLE.md §2), or a hot-path file listed above; import type is no exception",
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', `^src/(${HOT_PATH_FILES.join('|')})\\.ts$`] },
    },
    ...libraryRules,
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
  },
};
