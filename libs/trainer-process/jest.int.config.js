module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'trainer-process:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts'],
  testTimeout: 120000,
};
