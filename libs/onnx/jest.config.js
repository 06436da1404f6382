module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'onnx',
  rootDir: __dirname,
  // Shares the host's typed arrays with the sandbox; see jest.environment.js.
  testEnvironment: require.resolve('./jest.environment.js'),
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
