// The layering of docs/architecture.md ("Layout"), checked by `npm run lint` (depcruise).
// Inner layers first: domain/ and lib/ know nothing of the rest; db/, queue/ and simulation/ sit on
// them; feature verbs (auth/, fleet/, readings/, admin/, ingestion/) use those; http/, ops/ and roles/
// wire features to the outside; cli/ and main.ts are the outermost. The dashboard (web/) shares only
// pure domain modules and, type-only, the API's TypeBox schemas.

/** The transport-free feature folders under src/. */
const FEATURES = 'auth|fleet|readings|admin|ingestion|alarms|audit|reports';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'domain/ holds the rules: it imports only domain/ and lib/ (see src/domain/README.md).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/(domain|lib)/' },
    },
    {
      name: 'domain-has-no-io',
      comment: 'domain/ does no I/O: of node built-ins only crypto (hashing, random token bytes).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['core'], pathNot: '^(node:)?crypto$' },
    },
    {
      name: 'lib-is-generic',
      comment: 'lib/ is small shared infrastructure: it knows no other src folder (see src/lib/README.md).',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: '^src/lib/' },
    },
    {
      name: 'config-stands-alone',
      comment: 'config/ reads the environment; it may use lib/ (errors) and nothing else.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(config|lib)/' },
    },
    {
      name: 'db-below-features',
      comment: 'db/ is storage: it imports only domain/, lib/ and config/ (never simulation/ or ingestion/).',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: '^src/(db|domain|lib|config)/' },
    },
    {
      name: 'queue-below-features',
      comment: 'queue/ carries batches of domain Readings; it knows nothing of collection or storage.',
      severity: 'error',
      from: { path: '^src/queue/' },
      to: { path: '^src/', pathNot: '^src/(queue|domain|lib|config)/' },
    },
    {
      name: 'simulation-stands-alone',
      comment: 'The simulator is a mock customer: it shares domain/ and lib/ with us, nothing else.',
      severity: 'error',
      from: { path: '^src/simulation/' },
      to: { path: '^src/', pathNot: '^src/(simulation|domain|lib)/' },
    },
    {
      name: 'features-below-transports',
      comment: 'Feature verbs are transport-free: they never import http/, ops/, roles/, cli/ or main.ts.',
      severity: 'error',
      from: { path: `^src/(${FEATURES})/` },
      to: { path: '^src/(http|ops|roles|cli)/|^src/main\\.ts$' },
    },
    {
      name: 'http-calls-verbs',
      comment:
        'Route handlers call feature verbs (docs/architecture.md, "Handlers are thin"); of db/ only the Db type.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/(db/(?!types\\.ts$)|ops/|roles/|cli/|simulation/)|^src/main\\.ts$' },
    },
    {
      name: 'ops-below-cli',
      comment: 'ops/ is shared by the CLI and the control socket; it never imports either.',
      severity: 'error',
      from: { path: '^src/ops/' },
      to: { path: '^src/(http|roles|cli)/|^src/main\\.ts$' },
    },
    {
      name: 'roles-below-cli',
      comment: 'Roles are started by the CLI (tms up); they never import cli/ or main.ts.',
      severity: 'error',
      from: { path: '^src/roles/' },
      to: { path: '^src/cli/|^src/main\\.ts$' },
    },
    {
      name: 'cli-is-outermost',
      comment: 'Only main.ts and cli/ itself import cli/.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli/|main\\.ts$)' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-test-code-in-production',
      comment: 'src/ and web/ never import test/ or bench/; tests never import benchmarks.',
      severity: 'error',
      from: { path: '^(src|web|test)/' },
      to: { path: '^bench/' },
    },
    {
      name: 'no-test-support-in-production',
      comment: 'src/ and web/ never import test/ (unit tests beside the code may use its fixtures).',
      severity: 'error',
      from: { path: '^(src|web)/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '^test/' },
    },
    {
      name: 'web-shares-only-pure-code',
      comment: 'The dashboard runs in the browser: of src/ it may import pure domain/ modules only.',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^src/', pathNot: '^src/(domain|http/schemas)/' },
    },
    {
      name: 'web-takes-api-types-only',
      comment: 'The API schemas reach the dashboard as types (Static<typeof X>), erased from the bundle.',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^src/http/schemas/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|data|coverage|test-results)/' },
    // Type-only imports count: a layer may not lean on another's types either.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    moduleSystems: ['es6', 'cjs'],
  },
};
