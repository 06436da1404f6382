module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'device-agent:integration',
  rootDir: __dirname,
  // In-process agents may run the host-cpu backend (ONNX Runtime needs the host's typed arrays).
  testEnvironment: require.resolve('../../libs/onnx/jest.environment.js'),
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts'],
  testTimeout: 60000,
};
