/**
 * Dependency rules, checked by `npm run lint:deps` and by the unit test
 * test/architecture/dependency-rules.test.ts (so `npm test` enforces them too).
 *
 * A context's domain/ is its rules in pure code: it may import its own domain, its own error
 * registry (errors.ts, itself pure) and the pure kernel, and nothing else: no mongoose, Apollo,
 * graphql, BullMQ, Node built-ins, other contexts or infrastructure of lib/.
 */

/** The kernel modules that load nothing but one another: safe for any domain. */
const PURE_KERNEL = '^lib/(contract|errors|ids|statuses)\\.ts$';
/** Tests beside the domain may use Jest and test helpers. */
const TESTS = '\\.test\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: "A domain/ imports only its own context's domain and error registry, and the pure kernel (lib/contract, lib/errors, lib/ids, lib/statuses).",
      severity: 'error',
      from: { path: '^subgraphs/([^/]+)/src/domain/', pathNot: TESTS },
      to: { pathNot: ['^subgraphs/$1/src/domain/', '^subgraphs/$1/src/errors\\.ts$', PURE_KERNEL] },
    },
    {
      name: 'context-errors-are-pure',
      comment: "A context's error registry is part of its domain's language: the same limits apply.",
      severity: 'error',
      from: { path: '^subgraphs/([^/]+)/src/errors\\.ts$' },
      to: { pathNot: ['^subgraphs/$1/src/domain/', PURE_KERNEL] },
    },
    {
      name: 'pure-kernel-is-pure',
      comment: 'The pure kernel imports nothing but itself, so a domain that uses it stays pure.',
      severity: 'error',
      from: { path: PURE_KERNEL },
      to: { pathNot: PURE_KERNEL },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import the cruiser cannot resolve would escape every rule above.',
      severity: 'error',
      from: { path: '^(subgraphs|lib)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports count: a domain names no infrastructure type either.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '/generated/' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
