/**
 * The entry format of the data pack: one JSON document as a small JSON skeleton plus binary
 * number columns, so that a document of 15625 records costs a few typed-array reads instead of
 * parsing megabytes of decimal text. Decoding gives back a value deep-equal to `JSON.parse` of
 * the source file, number for number (the encoder checks every value and falls back to float64
 * where a compact form would not reproduce it exactly).
 *
 * Skeleton nodes are plain JSON, except objects carrying the key {@link TAG}:
 * - `{ $pack: 'nums', col }`: an array of numbers, stored as column `col`;
 * - `{ $pack: 'strs', text }`: an array of strings without line breaks, stored as text block
 *   `text` joined by '\n' (splitting is much faster than parsing a JSON array of strings);
 * - `{ $pack: 'matrix', width, col }`: an array of equal-length number arrays, row-major;
 * - `{ $pack: 'rows', n, keys, cols }`: an array of `n` objects with the same keys in the same
 *   order; `cols[k]` is the node of the array of every object's value of `keys[k]`;
 * - `{ $pack: 'map', keys, values }`: an object with many keys, as an array of keys and an array
 *   of values (each itself a node).
 */

const TAG = '$pack';
/** Arrays and objects shorter than this stay plain JSON in the skeleton. */
const MIN_COLUMN = 32;

/** How a column of numbers is stored. `scale` d means the stored integers are value * 10^d. */
export interface ColumnSpec {
  readonly type: 'u8' | 'i8' | 'u16' | 'i16' | 'i32' | 'f64';
  readonly scale?: number;
  readonly length: number;
}

const ARRAYS = {
  u8: Uint8Array,
  i8: Int8Array,
  u16: Uint16Array,
  i16: Int16Array,
  i32: Int32Array,
  f64: Float64Array,
} as const;

const INT_RANGES: readonly [ColumnSpec['type'], number, number][] = [
  ['u8', 0, 255],
  ['i8', -128, 127],
  ['u16', 0, 65535],
  ['i16', -32768, 32767],
  ['i32', -2147483648, 2147483647],
];

/** The decimal string of `v` has at most `d` digits after the point, as `k / 10^d` reproduces it. */
function fitsScale(values: readonly number[], d: number): boolean {
  const p = 10 ** d;
  for (const v of values) {
    const k = Math.round(v * p);
    // Division of two exact integers is correctly rounded, like parsing the decimal string.
    if (k / p !== v || Object.is(v, -0) || Math.abs(k) > 2147483647) return false;
  }
  return true;
}

/** The smallest exact storage of a column of finite numbers. */
function chooseColumn(values: readonly number[]): { spec: ColumnSpec; data: ArrayBufferView } {
  const length = values.length;
  for (let d = 0; d <= 6; d++) {
    if (!fitsScale(values, d)) continue;
    const p = 10 ** d;
    const ints = values.map((v) => Math.round(v * p));
    let lo = 0;
    let hi = 0;
    for (const k of ints) {
      if (k < lo) lo = k;
      if (k > hi) hi = k;
    }
    const [type] = INT_RANGES.find(([, min, max]) => lo >= min && hi <= max)!;
    const spec: ColumnSpec = d === 0 ? { type, length } : { type, scale: d, length };
    return { spec, data: ARRAYS[type].from(ints) };
  }
  return { spec: { type: 'f64', length }, data: Float64Array.from(values) };
}

function isNumberArray(v: unknown[]): v is number[] {
  return v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Encodes `doc` (a parsed JSON value) into skeleton + columns. Throws when `doc` uses the tag key. */
export function encodeDocument(doc: unknown): Buffer {
  const specs: ColumnSpec[] = [];
  const chunks: ArrayBufferView[] = [];
  const column = (values: number[]): number => {
    const { spec, data } = chooseColumn(values);
    specs.push(spec);
    chunks.push(data);
    return specs.length - 1;
  };
  const texts: string[] = [];
  const node = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      if (v.length >= MIN_COLUMN && isNumberArray(v)) return { [TAG]: 'nums', col: column(v) };
      if (v.length >= MIN_COLUMN && v.every((s) => typeof s === 'string' && !s.includes('\n'))) {
        texts.push((v as string[]).join('\n'));
        return { [TAG]: 'strs', text: texts.length - 1 };
      }
      if (v.length >= MIN_COLUMN && v.every((r) => Array.isArray(r) && r.length === (v[0] as unknown[]).length && isNumberArray(r))) {
        return { [TAG]: 'matrix', width: (v[0] as number[]).length, col: column((v as number[][]).flat()) };
      }
      if (v.length >= MIN_COLUMN && v.every(isPlainObject)) {
        const keys = Object.keys(v[0] as object);
        const same = (v as Record<string, unknown>[]).every((o) => {
          const k = Object.keys(o);
          return k.length === keys.length && k.every((name, i) => name === keys[i]);
        });
        if (same && !keys.includes(TAG)) {
          return { [TAG]: 'rows', n: v.length, keys, cols: keys.map((k) => node((v as Record<string, unknown>[]).map((o) => o[k]))) };
        }
      }
      return v.map(node);
    }
    if (isPlainObject(v)) {
      if (TAG in v) throw new Error(`a JSON object has the key "${TAG}", which the pack format reserves`);
      const keys = Object.keys(v);
      // Integer-like keys would be reordered by a JS object; such maps stay plain.
      if (keys.length >= MIN_COLUMN && !keys.some((k) => /^\d+$/.test(k))) {
        return { [TAG]: 'map', keys, values: node(keys.map((k) => v[k])) };
      }
      return Object.fromEntries(keys.map((k) => [k, node(v[k])]));
    }
    return v;
  };
  const tree = node(doc);
  const skeleton = Buffer.from(JSON.stringify({ doc: tree, columns: specs, texts: texts.map((t) => Buffer.byteLength(t)) }), 'utf8');
  const textBytes = Buffer.from(texts.join(''), 'utf8');
  const dataStart = Math.ceil((4 + skeleton.length + textBytes.length) / 8) * 8;
  let total = dataStart;
  for (const c of chunks) total = Math.ceil(total / 8) * 8 + c.byteLength;
  const out = Buffer.alloc(total);
  out.writeUInt32LE(skeleton.length, 0);
  skeleton.copy(out, 4);
  textBytes.copy(out, 4 + skeleton.length);
  let offset = dataStart;
  for (const c of chunks) {
    offset = Math.ceil(offset / 8) * 8;
    out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), offset);
    offset += c.byteLength;
  }
  return out;
}

/** Decodes what {@link encodeDocument} wrote. Throws on a malformed buffer. */
export function decodeDocument(buf: Buffer): unknown {
  const skeletonLength = buf.readUInt32LE(0);
  const { doc, columns, texts } = JSON.parse(buf.toString('utf8', 4, 4 + skeletonLength)) as { doc: unknown; columns: ColumnSpec[]; texts: number[] };
  let textStart = 4 + skeletonLength;
  const strings = texts.map((bytes) => {
    const s = buf.toString('utf8', textStart, textStart + bytes);
    textStart += bytes;
    return s;
  });
  // Copy the column bytes into one aligned buffer, then read each column through a typed view.
  const dataStart = Math.ceil(textStart / 8) * 8;
  const aligned = new Uint8Array(buf.length - dataStart);
  aligned.set(buf.subarray(dataStart));
  let offset = 0;
  const values: number[][] = columns.map((spec) => {
    offset = Math.ceil(offset / 8) * 8;
    const Kind = ARRAYS[spec.type];
    if (!Kind) throw new Error(`unknown column type "${spec.type}"`);
    const view = new Kind(aligned.buffer, offset, spec.length);
    offset += view.byteLength;
    const out = new Array<number>(spec.length);
    if (spec.scale) {
      const p = 10 ** spec.scale;
      for (let i = 0; i < spec.length; i++) out[i] = view[i] / p;
    } else {
      for (let i = 0; i < spec.length; i++) out[i] = view[i];
    }
    return out;
  });
  if (offset > aligned.length) throw new Error('column data is shorter than the skeleton says');

  const node = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(node);
    if (!isPlainObject(v)) return v;
    switch (v[TAG]) {
      case undefined: {
        const out: Record<string, unknown> = {};
        for (const k in v) out[k] = node(v[k]);
        return out;
      }
      case 'strs':
        return strings[v.text as number].split('\n');
      case 'nums':
        return values[v.col as number];
      case 'matrix': {
        const flat = values[v.col as number];
        const width = v.width as number;
        const out = new Array<number[]>(flat.length / width);
        for (let r = 0; r < out.length; r++) out[r] = flat.slice(r * width, (r + 1) * width);
        return out;
      }
      case 'rows': {
        const keys = v.keys as string[];
        const cols = (v.cols as unknown[]).map((c) => node(c) as unknown[]);
        const out = new Array<Record<string, unknown>>(v.n as number);
        for (let r = 0; r < out.length; r++) {
          const o: Record<string, unknown> = {};
          for (let k = 0; k < keys.length; k++) o[keys[k]] = cols[k][r];
          out[r] = o;
        }
        return out;
      }
      case 'map': {
        const keys = node(v.keys) as string[];
        const vals = node(v.values) as unknown[];
        const out: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) out[keys[i]] = vals[i];
        return out;
      }
      default:
        throw new Error(`unknown skeleton node "${String(v[TAG])}"`);
    }
  };
  return node(doc);
}
