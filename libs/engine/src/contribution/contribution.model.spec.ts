import fc from 'fast-check';
import { contribution, T0 } from '../__fixtures__/engine.fixtures';
import { canonicalJson } from '../util/canonical-json';
import { classifyContribution, contributionHash, needsWork } from './contribution.model';

/** Rebuilds an object with its keys in reverse order, recursively. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) {
    // defineProperty: fast-check generates "__proto__" keys too.
    Object.defineProperty(out, key, {
      value: reverseKeys((value as Record<string, unknown>)[key]),
      enumerable: true,
    });
  }
  return out;
}

describe('canonical JSON and contribution hash', () => {
  it('gives the same text and hash whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(reverseKeys(value))).toBe(canonicalJson(value));
        const a = contribution('s', { v: value });
        const b = contribution('s', { v: reverseKeys(value) });
        expect(contributionHash(a)).toBe(contributionHash(b));
      }),
    );
  });

  it('distinguishes content, array order, externalId, source key and deletion', () => {
    const base = contribution(
      'hr',
      { userName: 'fry', emails: [{ value: 'a' }, { value: 'b' }] },
      { externalId: 'E1' },
    );
    const h = contributionHash(base);
    expect(
      contributionHash({ ...base, attributes: { userName: 'Fry', emails: base.attributes['emails'] } }),
    ).not.toBe(h);
    expect(
      contributionHash({
        ...base,
        attributes: { userName: 'fry', emails: [{ value: 'b' }, { value: 'a' }] },
      }),
    ).not.toBe(h);
    expect(contributionHash({ ...base, externalId: 'E2' })).not.toBe(h);
    expect(contributionHash({ ...base, sourceKey: 'other' })).not.toBe(h);
    expect(contributionHash({ ...base, deletedAt: T0 })).not.toBe(h);
  });

  it('ignores assertedAt: a source repeating itself changes nothing', () => {
    const a = contribution('hr', { userName: 'fry' }, { assertedAt: T0 });
    const b = contribution('hr', { userName: 'fry' }, { assertedAt: new Date(T0.getTime() + 86_400_000) });
    expect(contributionHash(a)).toBe(contributionHash(b));
  });

  it('classifies new, changed and unchanged; only unchanged needs no work', () => {
    const incoming = contribution('hr', { userName: 'fry', title: 'Delivery Boy' });
    const stored = { hash: contributionHash(incoming) };
    expect(classifyContribution(undefined, incoming).kind).toBe('new');
    expect(
      classifyContribution(stored, { ...incoming, attributes: { title: 'Delivery Boy', userName: 'fry' } })
        .kind,
    ).toBe('unchanged');
    expect(needsWork(stored, { ...incoming, attributes: { userName: 'fry', title: 'Captain' } })).toBe(true);
    expect(needsWork(stored, { ...incoming, attributes: { title: 'Delivery Boy', userName: 'fry' } })).toBe(
      false,
    );
  });
});
