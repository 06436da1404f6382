import { InvalidArchitectureError } from '../errors';
import { fbnetLayerSlots, fbnetSpace } from './fbnet';
import { neighbours, spaceSize } from './space';

describe('fbnetSpace', () => {
  const allK3 = new Array(22).fill(0);

  it('fbnetSpace - has 22 layers of 9 blocks', () => {
    expect(fbnetSpace.decisions).toHaveLength(22);
    expect(fbnetSpace.decisions[0].options).toEqual(['k3_e1', 'k3_e1_g2', 'k3_e3', 'k3_e6', 'k5_e1', 'k5_e1_g2', 'k5_e3', 'k5_e6', 'skip']);
    expect(spaceSize(fbnetSpace)).toBe(9n ** 22n);
    expect(neighbours(fbnetSpace, allK3)).toHaveLength(176);
  });

  it('fbnetSpace - parses a JSON index array and a comma-separated list of names', () => {
    const names = new Array(22).fill('k3_e1');
    names[21] = 'skip';
    const fromNames = fbnetSpace.parse(names.join(','));
    expect(fromNames[21]).toBe(8);
    expect(fbnetSpace.parse(JSON.stringify(fromNames))).toEqual(fromNames);
    expect(fbnetSpace.format(fromNames)).toBe(names.join(','));
  });

  it.each([
    ['[0,0,0]', /must have 22 decisions, got 3/],
    [JSON.stringify([...new Array(21).fill(0), 9]), /decision 21 \(layer 21\) must be an integer in 0..8, got 9/],
    ['[0,0,', /not valid JSON/],
    [[...new Array(21).fill('k3_e1'), 'k7_e6'].join(','), /fbnet layer 21: unknown block "k7_e6"/],
    ['k3_e1,k3_e1', /must list 22 blocks, got 2/],
  ])('fbnetSpace - rejects %s', (text, message) => {
    expect(() => fbnetSpace.parse(text)).toThrow(InvalidArchitectureError);
    expect(() => fbnetSpace.parse(text)).toThrow(message);
  });

  it('fbnetLayerSlots - follows the stage strides of each dataset', () => {
    const c100 = fbnetLayerSlots('cifar100');
    expect(c100).toHaveLength(22);
    expect(c100[0]).toMatchObject({ cin: 16, cout: 16, stride: 1, inHw: 32 });
    expect(c100[1]).toMatchObject({ cin: 16, cout: 24, stride: 1, inHw: 32 });
    expect(c100[5]).toMatchObject({ cin: 24, cout: 32, stride: 2, inHw: 32 });
    expect(c100[21]).toMatchObject({ cin: 184, cout: 352, stride: 1, inHw: 4 });
    const inet = fbnetLayerSlots('ImageNet');
    expect(inet[0]).toMatchObject({ inHw: 112 });
    expect(inet[21]).toMatchObject({ inHw: 7 });
  });
});
