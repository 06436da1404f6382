import { describeWithData } from '../testing/data';
import { BenchmarkDataError } from '../errors';
import { NB201_SIZE } from '../space/nb201';
import { loadDeviceLatency, parseDeviceLatency } from './device-latency';

describe('parseDeviceLatency', () => {
  const nb = (values: unknown[]) => ({ devices: { dev: { values } } });
  it('reads an nb201 document with one value per benchmark index', () => {
    const t = parseDeviceLatency({ ...nb(new Array(NB201_SIZE).fill(2.5)), probe_index: [3, 7] }, 'x.json', 'nb201');
    expect(t.size).toBe(NB201_SIZE);
    expect(t.devices[0]).toMatchObject({ name: 'dev', integerMs: false });
    expect(t.devices[0].latencyMs[100]).toBe(2.5);
    expect(t.probeIndex).toEqual([3, 7]);
  });
  it.each([
    [nb([1, 2]), /values has 2 entries, expected 15625/],
    [nb(new Array(NB201_SIZE).fill(1).map((v, i) => (i === 9 ? -1 : v))), /values\[9\] must be a positive number/],
    [{ devices: {} }, /lists no device/],
    [{ ...nb(new Array(NB201_SIZE).fill(1)), probe_index: [NB201_SIZE] }, /probe_index\[0\] must be an architecture index/],
  ])('rejects a malformed nb201 document (%#)', (doc, message) => {
    expect(() => parseDeviceLatency(doc, 'bad.json', 'nb201')).toThrow(BenchmarkDataError);
    expect(() => parseDeviceLatency(doc, 'bad.json', 'nb201')).toThrow(message);
  });
  it('checks fbnet architectures', () => {
    const arch = new Array(22).fill(8);
    expect(parseDeviceLatency({ archs: [arch], devices: { d: { values: [1] } } }, 'f.json', 'fbnet').archs).toEqual([arch]);
    expect(() => parseDeviceLatency({ archs: [[1, 2]], devices: { d: { values: [1] } } }, 'f.json', 'fbnet')).toThrow(/archs\[0\] must be 22 block indices/);
  });
});

describeWithData('loadDeviceLatency', (dataDir) => {
  it('loads the 13 known devices of both spaces', () => {
    const nb = loadDeviceLatency(dataDir, 'nb201');
    expect(nb.devices).toHaveLength(13);
    expect(nb.probeIndex).toHaveLength(10);
    expect(nb.devices.find((d) => d.name === 'essential_ph_1')?.integerMs).toBe(true);
    const fb = loadDeviceLatency(dataDir, 'fbnet');
    expect(fb.size).toBe(5000);
    expect(fb.archs).toHaveLength(5000);
    expect(fb.devices).toHaveLength(13);
  });
});
