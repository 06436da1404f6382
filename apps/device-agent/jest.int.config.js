module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'device-agent:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts'],
  testTimeout: 60000,
};
