import { changedAttributes } from './audit-detail';

describe('changedAttributes (audit detail)', () => {
  it('lists top-level attributes that differ with from/to, ignoring schemas', () => {
    expect(
      changedAttributes(
        { schemas: ['a'], userName: 'fry', title: 'Boy' },
        { schemas: ['a', 'b'], userName: 'fry', displayName: 'Writer' },
      ),
    ).toEqual({ title: { from: 'Boy' }, displayName: { to: 'Writer' } });
  });

  it('summarises large values', () => {
    const big = 'x'.repeat(5_000);
    expect(changedAttributes({}, { note: big })['note']!.to).toMatchObject({ omitted: true, chars: 5_002 });
  });
});
