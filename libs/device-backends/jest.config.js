module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'device-backends',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
