-- The remote id a membership was pushed with: a group push can remove a member whose own link
-- no longer knows it (deleted at the target, re-created under a new id) instead of assuming it gone.
ALTER TABLE "target_memberships" ADD COLUMN "member_remote_id" TEXT;
