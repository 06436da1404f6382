// Shared Jest settings: every project transpiles TypeScript with SWC (no type checking here;
// `typecheck` runs tsc on its own) and runs in Node.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  // ESM-only packages that Jest must transpile to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  rootDir: undefined,
  setupFiles: [path.join(__dirname, 'tools', 'jest', 'setup.js')],
};
