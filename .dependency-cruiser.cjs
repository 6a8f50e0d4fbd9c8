// Import rules `.ci/run` enforces (`npm run lint:imports`): the layering of docs/architecture.md.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle makes two modules one: neither can be read, tested or moved alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-nothing-of-ours',
      severity: 'error',
      comment: 'src/core is pure protocol logic: it depends on no other layer of Portcullis.',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'only-http-wires-fastify',
      severity: 'error',
      comment: 'src/http is the only place that wires Fastify; protocol logic is tested without HTTP.',
      from: { path: '^src/', pathNot: '^src/http/' },
      to: { path: 'node_modules/(fastify|@fastify/)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'protocol-layers-do-not-import-http',
      severity: 'error',
      comment: 'authz, resource, manage, store, admin and directory logic are called by http, never the reverse.',
      from: { path: '^src/(core|authz|resource|manage|store|admin|config|directory)/' },
      to: { path: '^src/(http|cli)/' },
    },
    {
      name: 'concrete-stores-only-behind-open-store',
      severity: 'error',
      comment: 'Features depend on the storage seam (src/store/store.ts), never on a dialect.',
      from: { path: '^src/', pathNot: ['^src/store/'] },
      to: { path: '^src/store/(sqlite|postgres|sql)/' },
    },
    {
      name: 'resource-library-stands-alone',
      severity: 'error',
      comment: 'The resource library (@portcullis/resource) runs in other people\'s services: no store, no server.',
      from: { path: '^src/resource/', pathNot: ['^src/resource/(index|local-verifier|catalog|principals|resource-server|gateway|upstream-proxy|builtins)\\.ts$'] },
      to: { path: '^src/(store|authz|manage|admin|config|app)' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.mjs'] },
  },
};
