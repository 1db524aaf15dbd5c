import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

/** One membership as pushed: the member's hub id and the remote id it was sent as. */
export interface PushedMember {
  readonly memberId: string;
  readonly remoteId: string | null;
}

/** Group memberships as last pushed to a target (hub ids), the base of the next membership diff. */
@Injectable()
export class TargetMembershipRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The members as pushed, with the remote id each was pushed with (null on rows from before it was kept). */
  async members(targetId: string, groupId: string): Promise<PushedMember[]> {
    const rows = await this.prisma.rawQuery<{ member_id: string; member_remote_id: string | null }>(
      `SELECT member_id, member_remote_id FROM target_memberships
       WHERE target_id = $1::uuid AND group_id = $2::uuid`,
      [targetId, groupId],
    );
    return rows.map((r) => ({ memberId: r.member_id, remoteId: r.member_remote_id }));
  }

  /** After a membership PATCH succeeded: `added` with the remote ids they were sent as. */
  async apply(
    targetId: string,
    groupId: string,
    added: readonly { memberId: string; remoteId: string }[],
    removed: readonly string[],
  ): Promise<void> {
    if (removed.length)
      await this.prisma.rawQuery(
        'DELETE FROM target_memberships WHERE target_id = $1::uuid AND group_id = $2::uuid AND member_id = ANY($3::uuid[])',
        [targetId, groupId, removed],
      );
    if (added.length)
      await this.prisma.rawQuery(
        `INSERT INTO target_memberships (target_id, group_id, member_id, member_remote_id)
         SELECT $1::uuid, $2::uuid, m, r FROM unnest($3::uuid[], $4::text[]) AS a(m, r)
         ON CONFLICT (target_id, group_id, member_id) DO UPDATE SET member_remote_id = EXCLUDED.member_remote_id`,
        [targetId, groupId, added.map((a) => a.memberId), added.map((a) => a.remoteId)],
      );
  }

  /** Forget a group's pushed memberships (the group was deleted or left at the target). */
  async clear(targetId: string, groupId: string): Promise<void> {
    await this.prisma.rawQuery(
      'DELETE FROM target_memberships WHERE target_id = $1::uuid AND group_id = $2::uuid',
      [targetId, groupId],
    );
  }

  /**
   * Groups with a link at the target that list `memberId` in the hub but not (yet) at the target
   * under `remoteId`: they waited for this member's link, or hold it under an id it no longer has
   * (the member was re-created at the target). Also a group whose link has no remote id yet: its
   * first push may be in flight, past reading which members are linked, and must go round again.
   */
  async groupsWaitingFor(
    tenantId: TenantId,
    targetId: string,
    memberId: string,
    remoteId: string,
  ): Promise<string[]> {
    const rows = await this.prisma.rawQuery<{ group_id: string }>(
      `SELECT gm.group_id FROM group_members gm
       JOIN target_links l ON l.target_id = $2::uuid AND l.resource_id = gm.group_id
       WHERE gm.tenant_id = $1::uuid AND gm.member_id = $3::uuid
         AND NOT EXISTS (SELECT 1 FROM target_memberships tm
                         WHERE tm.target_id = $2::uuid AND tm.group_id = gm.group_id AND tm.member_id = gm.member_id
                           AND (tm.member_remote_id IS NULL OR tm.member_remote_id = $4))`,
      [tenantId, targetId, memberId, remoteId],
    );
    return rows.map((r) => r.group_id);
  }

  /** Groups whose pushed memberships name `memberId` (its removal must reach them), with the remote id each holds. */
  async groupsListing(
    targetId: string,
    memberId: string,
  ): Promise<{ groupId: string; remoteId: string | null }[]> {
    const rows = await this.prisma.rawQuery<{ group_id: string; member_remote_id: string | null }>(
      'SELECT group_id, member_remote_id FROM target_memberships WHERE target_id = $1::uuid AND member_id = $2::uuid',
      [targetId, memberId],
    );
    return rows.map((r) => ({ groupId: r.group_id, remoteId: r.member_remote_id }));
  }
}
