module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cli:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts', '<rootDir>/src/**/*.int.spec.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 60000,
};
