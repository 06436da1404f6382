module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'coordinator:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts'],
  testTimeout: 120000,
};
