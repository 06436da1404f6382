module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'k8s:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts'],
  testTimeout: 180000,
};
