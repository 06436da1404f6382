// Shared Jest settings: every project transpiles TypeScript with SWC (no type checking here;
// `typecheck` runs tsc on its own) and runs in Node.
const path = require('node:path');

module.exports = {
  // Node, with the host's typed arrays shared into the sandbox (ONNX Runtime checks them with
  // instanceof; see the file).
  testEnvironment: path.join(__dirname, 'tools', 'jest', 'node-environment.js'),
  // Generous per-test timeout: CI machines have 2 cores shared by parallel Nx tasks, and the
  // first import of a large module (e.g. the ESM Kubernetes client) can take seconds there.
  testTimeout: 30000,
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
