import { at, contribution, HR, LDAP, ruleSet } from '../__fixtures__/engine.fixtures';
import { resolveGolden } from '../resolve/golden';
import {
  activeRecord,
  nextLifecycle,
  type LifecycleEvent,
  type LifecyclePolicy,
  type LifecycleRecord,
} from './lifecycle';

const WEEK = 7 * 24 * 60;
const policy: LifecyclePolicy = { authorities: [HR], graceMs: WEEK * 60_000 };
const active = activeRecord(at(0));
const suspended: LifecycleRecord = {
  state: 'suspended',
  since: at(10),
  reason: 'deleted',
  deleteAfter: at(10 + WEEK),
};
const disabled: LifecycleRecord = {
  state: 'suspended',
  since: at(10),
  reason: 'disabled',
  deleteAfter: null,
};

describe('nextLifecycle', () => {
  it.each<
    [string, LifecycleRecord, LifecycleEvent, number, Partial<LifecycleRecord>, string, LifecyclePolicy?]
  >([
    [
      'leaver: the authority deletes → suspended, deletion due after grace',
      active,
      { kind: 'removed', sourceId: HR },
      10,
      { state: 'suspended', reason: 'deleted', deleteAfter: at(10 + WEEK) },
      'suspend',
    ],
    [
      'another source deleting changes nothing',
      active,
      { kind: 'removed', sourceId: LDAP },
      10,
      { state: 'active' },
      'none',
    ],
    [
      'the authority disables → suspended, kept',
      active,
      { kind: 'asserted', sourceId: HR, active: false },
      10,
      { state: 'suspended', reason: 'disabled', deleteAfter: null },
      'suspend',
    ],
    [
      'disabled and deleteDisabled → deletion due too',
      active,
      { kind: 'asserted', sourceId: HR, active: false },
      10,
      { state: 'suspended', deleteAfter: at(10 + WEEK) },
      'suspend',
      { ...policy, deleteDisabled: true },
    ],
    [
      'no grace period: deleted at once',
      active,
      { kind: 'removed', sourceId: HR },
      10,
      { state: 'deleted' },
      'delete',
      { ...policy, graceMs: 0 },
    ],
    [
      're-hire within grace reactivates',
      suspended,
      { kind: 'asserted', sourceId: HR },
      100,
      { state: 'active', since: at(100) },
      'reactivate',
    ],
    [
      're-enabled reactivates',
      disabled,
      { kind: 'asserted', sourceId: HR, active: true },
      100,
      { state: 'active' },
      'reactivate',
    ],
    [
      'reappearing after grace (job late) is deleted',
      suspended,
      { kind: 'asserted', sourceId: HR },
      10 + WEEK,
      { state: 'deleted' },
      'delete',
    ],
    [
      'tick before grace ends: nothing',
      suspended,
      { kind: 'tick' },
      10 + WEEK - 1,
      { state: 'suspended' },
      'none',
    ],
    [
      'tick after grace: deleted',
      suspended,
      { kind: 'tick' },
      10 + WEEK,
      { state: 'deleted', since: at(10 + WEEK) },
      'delete',
    ],
    [
      'tick never deletes a disabled record that is kept',
      disabled,
      { kind: 'tick' },
      10 * WEEK,
      { state: 'suspended' },
      'none',
    ],
    [
      'deleted after being disabled starts the countdown',
      disabled,
      { kind: 'removed', sourceId: HR },
      20,
      { state: 'suspended', reason: 'deleted', since: at(10), deleteAfter: at(20 + WEEK) },
      'none',
    ],
    [
      'reappearing disabled stops the countdown',
      suspended,
      { kind: 'asserted', sourceId: HR, active: false },
      20,
      { state: 'suspended', reason: 'disabled', deleteAfter: null },
      'none',
    ],
    [
      'a second deletion never postpones',
      suspended,
      { kind: 'removed', sourceId: HR },
      500,
      { deleteAfter: at(10 + WEEK) },
      'none',
    ],
    [
      'deleted is terminal',
      { state: 'deleted', since: at(5) },
      { kind: 'asserted', sourceId: HR },
      10,
      { state: 'deleted', since: at(5) },
      'none',
    ],
  ])('%s', (_name, current, event, minute, expected, effect, p = policy) => {
    const t = nextLifecycle(current, event, at(minute), p);
    expect(t.record).toMatchObject(expected);
    expect(t.effect).toBe(effect);
    expect(t.changed).toBe(t.record !== current);
  });

  it('a suspended record is resolved with active=false whatever the sources say', () => {
    const rules = ruleSet([]);
    const g = resolveGolden({
      contributions: [contribution(HR, { userName: 'fry', active: true })],
      rules,
      now: at(0),
      lifecycle: suspended,
    });
    expect(g.resource['active']).toBe(false);
    expect(g.provenance.find((p) => p.path === 'active')).toMatchObject({ policy: 'lifecycle', sources: [] });
    const back = resolveGolden({
      contributions: [contribution(HR, { userName: 'fry', active: true })],
      rules,
      now: at(0),
      lifecycle: active,
    });
    expect(back.resource['active']).toBe(true);
  });
});
