module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'k8s',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
  // Renders every overlay with kubectl and bundles every app with esbuild.
  testTimeout: 60000,
};
