module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'trainer-process',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
