/**
 * @hwnas/onnx: exports a NetworkIR to an ONNX model with random weights, times it with ONNX
 * Runtime on the host CPU, and computes the NASWOT training-free accuracy proxy by real forward
 * passes.
 */
export { exportOnnx, buildModel, ONNX_OPSET, ONNX_IR_VERSION, INPUT_NAME, LOGITS_NAME } from './export';
export type { ExportOptions, ExportOutputs, BatchNormMode } from './export';
export { createSession, withSession, timeModel, summarizeTimes, quantile } from './session';
export type { SessionOptions, TimeModelOptions, Timing } from './session';
export { naswotScore, syntheticBatch, slogdet } from './naswot';
export type { NaswotOptions, NaswotResult } from './naswot';
export { spearman, pearson, fractionalRanks } from './stats';
export { createNaswotProxy, NASWOT_METRIC } from './proxy';
