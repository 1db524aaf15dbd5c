import { Injectable } from '@nestjs/common';
import { InvalidValueError, LIST_RESPONSE_URN, type ProjectionOptions } from '@hub/scim';
import { ChangeFeedRepository, ScimResourceRepository, asTenantId } from '@hub/persistence';
import { toRepresentation, wantsGroups } from './scim-representation';
import { queryFingerprint, type ListRequest } from './scim-list-query';
import { decodeDeltaToken, encodeDeltaToken, type DeltaPosition } from './scim-delta-token';
import { ScimResourceService, type ScimCaller } from './scim-resource.service';

/** The response extension of a delta query (documented in the README for client authors). */
export const DELTA_RESPONSE_URN = 'urn:scim-hub:params:scim:api:messages:2.0:DeltaResponse';

export type RemovedReason = 'deleted' | 'filtered';

/**
 * Delta queries for clients that pull (the drafts' Active/Delta Pull and Active Dynamic Query;
 * ADR 0701): `GET /{endpoint}?deltaToken=…` lists the current state of every resource of the type
 * that changed since the token (matching the filter, if any), the ids that were deleted or no
 * longer match (`removed`), and the token to pass next time. An empty token starts at the
 * beginning of the feed, which is a full initial load.
 */
@Injectable()
export class ScimDeltaService {
  constructor(
    private readonly scim: ScimResourceService,
    private readonly feed: ChangeFeedRepository,
    private readonly resources: ScimResourceRepository,
  ) {}

  async list(
    caller: ScimCaller,
    endpoint: string | undefined,
    request: ListRequest,
  ): Promise<Record<string, unknown>> {
    if (!endpoint)
      throw new InvalidValueError(
        'deltaToken applies to one resource type endpoint, e.g. /Users?deltaToken=',
      );
    const { registry, view } = await this.scim.typeAt(caller, endpoint);
    const tenantId = asTenantId(caller.principal.tenantId);
    const fingerprint = queryFingerprint(endpoint.toLowerCase(), request);
    const position = decodeDeltaToken(request.deltaToken ?? '', fingerprint);
    const count = request.pagination.count;
    const sourceId = await this.scim.readerSource(caller);
    const params = ScimResourceRepository.listParams(tenantId, view.name);
    // Validate the filter before reading the feed: a bad filter is a 400 whatever changed.
    const filterWhere = this.scim.whereClause(request, [view], params, sourceId, false);

    const options: ProjectionOptions = {
      ...(request.attributes ? { attributes: request.attributes } : {}),
      ...(request.excludedAttributes ? { excludedAttributes: request.excludedAttributes } : {}),
    };
    const groups = wantsGroups(view, options);
    const window = {
      from: position.from,
      ...(position.to ? { to: position.to } : {}),
      after: position.after ?? '0',
    };
    const { page, resources, removed } = await this.feed.readPage(
      tenantId,
      view.name,
      window,
      count,
      async (page, on) => {
        // Changed again after the window: listed (once) in a later window, with that state.
        const ids = page.changed.filter((c) => !c.changedSince).map((c) => c.resourceId);
        const idsParam = params.add(ids, 'uuid[]');
        const matching =
          ids.length === 0
            ? []
            : (
                await this.resources.page(
                  {
                    params,
                    where: `r.id = ANY(${idsParam}) AND (${filterWhere})`,
                    sourceId,
                    limit: ids.length,
                  },
                  false,
                  groups,
                  on,
                )
              ).rows;
        const byId = new Map(matching.map((r) => [r.id, r]));
        const missing = ids.filter((id) => !byId.has(id));
        const stillThere = request.filter
          ? await this.feed.existing(tenantId, missing, on)
          : new Set<string>();
        const resources: Record<string, unknown>[] = [];
        const removed: Array<{ id: string; reason: RemovedReason }> = [];
        for (const id of ids) {
          const record = byId.get(id);
          if (record)
            resources.push(
              toRepresentation(record, view, registry, this.scim.locations, {
                ...options,
                groups: groups ? (record.groups ?? []) : [],
              }),
            );
          else removed.push({ id, reason: stillThere.has(id) ? 'filtered' : 'deleted' });
        }
        return { page, resources, removed };
      },
    );

    const last = page.changed[page.changed.length - 1];
    const hasMore = page.remaining > page.changed.length;
    const next: DeltaPosition =
      hasMore && last ? { from: window.from, to: page.to, after: last.lastSeq } : { from: page.to };
    return {
      schemas: [LIST_RESPONSE_URN, DELTA_RESPONSE_URN],
      // The changes from this token to the end of the window: Resources plus removed, this page included.
      totalResults: page.remaining,
      itemsPerPage: resources.length,
      startIndex: 1,
      Resources: resources,
      [DELTA_RESPONSE_URN]: {
        removed,
        hasMore,
        nextDeltaToken: encodeDeltaToken(fingerprint, next),
      },
    };
  }
}
