module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cli:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts'],
  testTimeout: 60000,
};
