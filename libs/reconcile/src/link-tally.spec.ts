import { randomUUID } from 'node:crypto';
import { LinkTally, uuidHash } from './link-tally';

const tallyOf = (ids: readonly string[]) => {
  const t = new LinkTally();
  for (const id of ids) t.add(id);
  return t;
};

describe('LinkTally', () => {
  const ids = Array.from({ length: 1_000 }, () => randomUUID());

  it('is the same for the same links in any order', () => {
    expect(tallyOf(ids).matches(tallyOf([...ids].reverse()))).toBe(true);
  });

  it('differs when a link is missing, seen twice, or replaced by another', () => {
    const all = tallyOf(ids);
    expect(all.matches(tallyOf(ids.slice(1)))).toBe(false);
    expect(all.matches(tallyOf([...ids, ids[0]!]))).toBe(false);
    expect(all.matches(tallyOf([randomUUID(), ...ids.slice(1)]))).toBe(false);
  });

  it("hashes as Postgres's uuid_hash does (values read from PostgreSQL 17)", () => {
    expect(uuidHash('5640486d-aa68-80d6-67b7-6c958820361a')).toBe(-1475580242);
    expect(uuidHash('8a8bb7cd-343a-a2ad-99b7-d762030857a2')).toBe(-314693380);
    expect(uuidHash('693a9fdd-4c2f-d070-0968-fba0d07ff3c0')).toBe(416170824);
    expect(uuidHash('894f782a-148b-33af-1e39-a0efed952d69')).toBe(1306267980);
  });
});
