import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseBaker } from './baker-choice.js';

const minji = { id: '65a000000000000000000001', name: 'Minji', active: true };
const joon = { id: '65a000000000000000000002', name: 'Joon', active: true };
const sora = { id: '65a000000000000000000003', name: 'Sora', active: true };
const loads = (entries: Array<[string, number]>) => new Map(entries);

describe('chooseBaker', () => {
  test('gives the order to the active baker with the fewest open orders', () => {
    assert.equal(chooseBaker([minji, joon, sora], loads([[minji.id, 3], [joon.id, 1], [sora.id, 2]])), joon);
  });

  test('a baker missing from the counts has no open orders', () => {
    assert.equal(chooseBaker([minji, joon, sora], loads([[minji.id, 1], [joon.id, 1]])), sora);
  });

  test('breaks ties by the oldest baker id, whatever order the bakers come in', () => {
    const even = loads([[minji.id, 2], [joon.id, 2], [sora.id, 2]]);
    assert.equal(chooseBaker([sora, joon, minji], even), minji);
    assert.equal(chooseBaker([joon, sora, minji], even), minji);
    assert.equal(chooseBaker([sora, joon], loads([])), joon);
  });

  test('skips inactive bakers, however idle', () => {
    assert.equal(chooseBaker([{ ...minji, active: false }, joon], loads([[joon.id, 5]])), joon);
  });

  test('answers null when nobody is active', () => {
    assert.equal(chooseBaker([], loads([])), null);
    assert.equal(chooseBaker([{ ...minji, active: false }], loads([])), null);
  });

  test('spreads a run of orders evenly: six orders over three idle bakers are two each', () => {
    const open = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const baker = chooseBaker([sora, minji, joon], open);
      assert.ok(baker);
      open.set(baker.id, (open.get(baker.id) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(open), { [minji.id]: 2, [joon.id]: 2, [sora.id]: 2 });
  });
});
