module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'testing-nats',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
