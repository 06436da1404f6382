module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'transport-nats',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
