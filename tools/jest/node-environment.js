// onnxruntime-node creates output tensors with the typed-array classes of Node's main realm and
// then checks them with `instanceof` against the classes it sees, which under Jest's default
// environment are the sandbox's own copies ("A float32 tensor's data must be type of function
// Float32Array()"). Sharing the host's typed-array classes with the sandbox makes both realms agree.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class OrtNodeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtNodeEnvironment;
