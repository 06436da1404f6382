module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'coordinator',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
