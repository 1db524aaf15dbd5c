import { ConnectorError } from '@hub/connectors';
import {
  assessDeletions,
  resolveMembers,
  retryDelay,
  runError,
  scheduledMode,
  syncSettings,
  SyncSettingsError,
} from './sync-policy';

const defaults = { deletionThreshold: 0.2, deletionMinimum: 10 };

describe('mass-deletion safeguard', () => {
  it('lets a normal leaver rate through', () => {
    const d = assessDeletions({ User: { live: 1000, deletions: 12, seen: 988 } }, defaults);
    expect(d.hold).toBe(false);
    expect(d.share).toBeCloseTo(0.012);
  });

  it('holds more than the threshold, and says which type tripped it', () => {
    const d = assessDeletions(
      { User: { live: 1000, deletions: 201, seen: 799 }, Group: { live: 50, deletions: 1, seen: 49 } },
      defaults,
    );
    expect(d.hold).toBe(true);
    expect(d.reasons).toEqual([expect.stringMatching(/^User: 201 of 1000 \(20\.1 %\) exceeds 20\.0 %/)]);
  });

  it('exactly the threshold passes', () => {
    expect(assessDeletions({ User: { live: 100, deletions: 20, seen: 80 } }, defaults).hold).toBe(false);
  });

  it('judges each type apart: all groups vanishing is held even when users dwarf them', () => {
    const d = assessDeletions(
      { User: { live: 100_000, deletions: 0, seen: 100_000 }, Group: { live: 50, deletions: 50, seen: 0 } },
      defaults,
    );
    expect(d.hold).toBe(true);
    expect(d.share).toBe(1);
  });

  it('does not judge the share of tiny sources, but always holds an empty pull', () => {
    expect(assessDeletions({ User: { live: 7, deletions: 3, seen: 4 } }, defaults).hold).toBe(false);
    const empty = assessDeletions({ User: { live: 7, deletions: 7, seen: 0 } }, defaults);
    expect(empty.hold).toBe(true);
    expect(empty.reasons[0]).toContain('found none of the 7');
  });

  it('deltas (seen unknown) are judged by share only', () => {
    expect(assessDeletions({ User: { live: 7, deletions: 7 } }, defaults).hold).toBe(false);
    expect(assessDeletions({ User: { live: 100, deletions: 30 } }, defaults).hold).toBe(true);
  });

  it('nothing to delete is never held', () => {
    expect(assessDeletions({ User: { live: 0, deletions: 0, seen: 0 } }, defaults)).toEqual({
      hold: false,
      share: 0,
      reasons: [],
    });
  });
});

describe('sync settings', () => {
  it('defaults, and reads the source configuration', () => {
    expect(syncSettings({})).toEqual({
      deletionThreshold: 0.2,
      deletionMinimum: 10,
      fullSyncIntervalMs: 24 * 3_600_000,
      unreachableRetries: 3,
      retryDelayMs: 10_000,
    });
    expect(syncSettings({ deletionThreshold: 0.5, deletionMinimum: 0, fullSyncIntervalHours: 1 })).toEqual({
      deletionThreshold: 0.5,
      deletionMinimum: 0,
      fullSyncIntervalMs: 3_600_000,
      unreachableRetries: 3,
      retryDelayMs: 10_000,
    });
  });

  it.each([
    [{ deletionThreshold: 0 }, 'config.deletionThreshold'],
    [{ deletionThreshold: 1.5 }, 'config.deletionThreshold'],
    [{ deletionThreshold: '0.2' }, 'config.deletionThreshold'],
    [{ deletionMinimum: 2.5 }, 'config.deletionMinimum'],
    [{ fullSyncIntervalHours: 0 }, 'config.fullSyncIntervalHours'],
    [{ unreachableRetries: -1 }, 'config.unreachableRetries'],
    [{ unreachableRetries: 11 }, 'config.unreachableRetries'],
    [{ retryDelayMs: 1.5 }, 'config.retryDelayMs'],
  ])('refuses %j naming the field', (config, field) => {
    expect(() => syncSettings(config)).toThrow(SyncSettingsError);
    expect(() => syncSettings(config)).toThrow(field);
  });
});

describe('retrying an unreachable source within the job', () => {
  const settings = { unreachableRetries: 3, retryDelayMs: 1000 };
  const unreachable = new ConnectorError('unreachable', 'ldap://127.0.0.1:1 is unreachable (ECONNREFUSED)');

  it('backs off three times as long each attempt, then gives up', () => {
    expect([0, 1, 2, 3].map((a) => retryDelay(unreachable, a, settings))).toEqual([1000, 3000, 9000, null]);
  });

  it('never retries a refusal, a TLS or a configuration error', () => {
    for (const kind of ['auth', 'tls', 'config', 'remote'] as const)
      expect(retryDelay(new ConnectorError(kind, 'no'), 0, settings)).toBeNull();
    expect(retryDelay(new Error('database down'), 0, settings)).toBeNull();
  });
});

describe('scheduled mode', () => {
  const now = new Date('2026-01-02T12:00:00Z');
  const day = 24 * 3_600_000;
  it('full without a cursor or a completed full run, or when the last full is too old', () => {
    expect(scheduledMode(false, new Date(now.getTime() - 1000), now, day)).toBe('full');
    expect(scheduledMode(true, null, now, day)).toBe('full');
    expect(scheduledMode(true, new Date(now.getTime() - day), now, day)).toBe('full');
  });
  it('delta otherwise', () => {
    expect(scheduledMode(true, new Date(now.getTime() - day + 1), now, day)).toBe('delta');
  });
});

describe('group members', () => {
  it('resolves source keys to golden ids, sorted and unique; unknown keys wait', () => {
    const known = new Map([
      ['k-fry', { resourceId: 'b-id', resourceType: 'User' }],
      ['k-leela', { resourceId: 'a-id', resourceType: 'User' }],
      ['k-crew', { resourceId: 'c-id', resourceType: 'Group' }],
    ]);
    expect(resolveMembers(['k-fry', 'k-zapp', 'k-leela', 'k-fry', 'k-crew'], known)).toEqual({
      members: [
        { value: 'a-id', type: 'User' },
        { value: 'b-id', type: 'User' },
        { value: 'c-id', type: 'Group' },
      ],
      unresolved: ['k-zapp'],
    });
  });
});

describe('run error', () => {
  it('names the connector error kind', () => {
    expect(runError(new ConnectorError('auth', 'Invalid credentials for cn=reader'))).toBe(
      'auth: Invalid credentials for cn=reader',
    );
    expect(runError(new Error('boom'))).toBe('internal: boom');
  });
});
