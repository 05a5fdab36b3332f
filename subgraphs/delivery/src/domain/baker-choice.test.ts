import assert from 'node:assert/strict';
import { describe, expect, test } from '@jest/globals';
import { chooseBaker } from './baker-choice.js';

const minji = { id: '65a000000000000000000001', name: 'Minji', active: true };
const joon = { id: '65a000000000000000000002', name: 'Joon', active: true };
const sora = { id: '65a000000000000000000003', name: 'Sora', active: true };
const loads = (entries: Array<[string, number]>) => new Map(entries);

describe('chooseBaker', () => {
  test('gives the order to the active baker with the fewest open orders', () => {
    expect(
      chooseBaker(
        [minji, joon, sora],
        loads([
          [minji.id, 3],
          [joon.id, 1],
          [sora.id, 2],
        ]),
      ),
    ).toBe(joon);
  });

  test('a baker missing from the counts has no open orders', () => {
    expect(
      chooseBaker(
        [minji, joon, sora],
        loads([
          [minji.id, 1],
          [joon.id, 1],
        ]),
      ),
    ).toBe(sora);
  });

  test('breaks ties by the oldest baker id, whatever order the bakers come in', () => {
    const even = loads([
      [minji.id, 2],
      [joon.id, 2],
      [sora.id, 2],
    ]);
    expect(chooseBaker([sora, joon, minji], even)).toBe(minji);
    expect(chooseBaker([joon, sora, minji], even)).toBe(minji);
    expect(chooseBaker([sora, joon], loads([]))).toBe(joon);
  });

  test('skips inactive bakers, however idle', () => {
    expect(chooseBaker([{ ...minji, active: false }, joon], loads([[joon.id, 5]]))).toBe(joon);
  });

  test('answers null when nobody is active', () => {
    expect(chooseBaker([], loads([]))).toBeNull();
    expect(chooseBaker([{ ...minji, active: false }], loads([]))).toBeNull();
  });

  test('spreads a run of orders evenly: six orders over three idle bakers are two each', () => {
    const open = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const baker = chooseBaker([sora, minji, joon], open);
      assert.ok(baker);
      open.set(baker.id, (open.get(baker.id) ?? 0) + 1);
    }
    expect(Object.fromEntries(open)).toStrictEqual({ [minji.id]: 2, [joon.id]: 2, [sora.id]: 2 });
  });
});
