import { LinkTally } from './link-tally';

const tallyOf = (hashes: readonly number[]) => {
  const t = new LinkTally();
  for (const h of hashes) t.add(h);
  return t;
};

/** Signed 32-bit values, as Postgres's int4 `uuid_hash` returns them. */
const hashes = Array.from({ length: 1_000 }, (_, i) => Math.imul(i + 1, 0x9e3779b1));

describe('LinkTally', () => {
  it('is the same for the same links in any order', () => {
    expect(tallyOf(hashes).matches(tallyOf([...hashes].reverse()))).toBe(true);
  });

  it('differs when a link is missing, seen twice, or replaced by another', () => {
    const all = tallyOf(hashes);
    expect(all.matches(tallyOf(hashes.slice(1)))).toBe(false);
    expect(all.matches(tallyOf([...hashes, hashes[0]!]))).toBe(false);
    expect(all.matches(tallyOf([12345, ...hashes.slice(1)]))).toBe(false);
  });

  it('sums the hashes as unsigned 32-bit numbers, modulo 2^32 (as the SQL tally does)', () => {
    expect(tallyOf([-1, 2])).toMatchObject({ count: 2, sum: 1 }); // 0xffffffff + 2
    expect(tallyOf([-2147483648, 5])).toMatchObject({ sum: 2147483653 });
  });
});
