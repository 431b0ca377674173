/**
 * The dependency rule of the workspace, checked on every CI run:
 * - core is pure: no adapter package, no vendor SDK, nothing that talks to the outside world;
 * - adapters reach core only through its public entry points, never its source files;
 * - no adapter depends on another adapter;
 * - the era-835 parser stands alone: only its memberpay mapping may see core (types only).
 */
// Matches a vendor SDK whether it resolved into node_modules or, not being a dependency of
// the importing package, could not be resolved at all.
const VENDOR =
  '(^|node_modules/)(stripe|pg|pg-[a-z-]+|msw|@electric-sql/[a-z-]+|node-x12|x12-parser)(/|$)';

module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'packages/core may not import an adapter package or a vendor SDK.',
      severity: 'error',
      from: { path: '^packages/core/src' },
      to: {
        path: ['^packages/(stripe-adapter|era-835|storage-memory|storage-postgres)/'],
      },
    },
    {
      name: 'core-no-vendor-sdk',
      comment: 'packages/core may not import stripe, pg, msw or PGlite.',
      severity: 'error',
      from: { path: '^packages/core/src' },
      to: { path: VENDOR },
    },
    {
      name: 'core-no-io',
      comment: 'packages/core talks to the outside world only through its ports.',
      severity: 'error',
      from: { path: '^packages/core/src', pathNot: '^packages/core/src/testing/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(node:)?(http|https|net|fs|fs/promises|child_process|dgram|tls)$',
      },
    },
    {
      name: 'adapters-use-core-public-entry',
      comment:
        'Adapters import @memberpay/core or @memberpay/core/testing, never core source files.',
      severity: 'error',
      from: { path: '^packages/(stripe-adapter|era-835|storage-memory|storage-postgres)/src' },
      to: {
        path: '^packages/core/src/',
        pathNot: '^packages/core/src/(index|testing/index)\\.ts$',
      },
    },
    {
      name: 'no-adapter-to-adapter',
      comment: 'An adapter depends on core only, never on another adapter.',
      severity: 'error',
      from: { path: '^packages/(stripe-adapter|era-835|storage-memory|storage-postgres)/src' },
      to: {
        path: '^packages/(stripe-adapter|era-835|storage-memory|storage-postgres)/src',
        pathNot: '^packages/$1/',
      },
    },
    {
      name: 'era835-parser-stands-alone',
      comment: 'The 835 parser has no dependency on core; only its memberpay mapping does.',
      severity: 'error',
      from: { path: '^packages/era-835/src', pathNot: '^packages/era-835/src/memberpay/' },
      to: { path: '^packages/core/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@memberpay/source', 'import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
