module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'device-backends',
  rootDir: __dirname,
  // The host-cpu backend runs ONNX Runtime, which needs the host's typed arrays (see that file).
  testEnvironment: require.resolve('../onnx/jest.environment.js'),
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
