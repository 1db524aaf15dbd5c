import { BULK_REQUEST_URN, LIST_RESPONSE_URN } from '../constants';
import { InvalidSyntaxError, InvalidValueError, PayloadTooLargeError } from '../errors/scim-error';
import { buildBulkResponse, parseBulkRequest } from './bulk';
import { buildListResponse, parsePagination } from './list-response';

describe('ListResponse (rfc7644 §3.4.2)', () => {
  it('builds the message', () => {
    expect(buildListResponse([{ id: '1' }], { totalResults: 2, startIndex: 1 })).toEqual({
      schemas: [LIST_RESPONSE_URN],
      totalResults: 2,
      itemsPerPage: 1,
      startIndex: 1,
      Resources: [{ id: '1' }],
    });
  });

  it('rfc7644 §3.4.2.4 pagination bounds', () => {
    const limits = { defaultCount: 100, maxCount: 500 };
    expect(parsePagination({}, limits)).toEqual({ startIndex: 1, count: 100 });
    expect(parsePagination({ startIndex: '0', count: '-5' }, limits)).toEqual({ startIndex: 1, count: 0 });
    expect(parsePagination({ startIndex: 11, count: '10000' }, limits)).toEqual({
      startIndex: 11,
      count: 500,
    });
    expect(() => parsePagination({ count: 'ten' }, limits)).toThrow(InvalidValueError);
    expect(() => parsePagination({ startIndex: '1e400' }, limits)).toThrow(InvalidValueError);
  });
});

describe('Bulk (rfc7644 §3.7)', () => {
  const request = {
    schemas: [BULK_REQUEST_URN],
    failOnErrors: 1,
    Operations: [
      {
        method: 'POST',
        path: '/Users',
        bulkId: 'qwerty',
        data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'Alice' },
      },
      {
        method: 'PUT',
        path: '/Users/b7c14771-226c-4d05-8860-134711653041',
        version: 'W/"3694e05e9dff591"',
        data: {},
      },
      {
        method: 'DELETE',
        path: '/Users/e9025315-6bea-44e1-899c-1e07454e468b',
        version: 'W/"0ee8add0a938e1a"',
      },
    ],
  };

  it('rfc7644 §3.7.1 parses a bulk request', () => {
    const parsed = parseBulkRequest(request, { maxOperations: 10 });
    expect(parsed.Operations.map((o) => o.method)).toEqual(['POST', 'PUT', 'DELETE']);
    expect(parsed.failOnErrors).toBe(1);
  });

  it('rfc7644 §3.7.4 too many operations is 413', () => {
    expect(() => parseBulkRequest(request, { maxOperations: 2 })).toThrow(PayloadTooLargeError);
  });

  it.each([
    [{ ...request, schemas: [] }, InvalidSyntaxError],
    [{ ...request, Operations: [{ method: 'POST', path: '/Users', data: {} }] }, InvalidValueError],
    [{ ...request, Operations: [{ method: 'GET', path: '/Users' }] }, InvalidValueError],
    [
      { ...request, Operations: [{ method: 'PATCH', path: 'http://evil/Users/1', data: {} }] },
      InvalidValueError,
    ],
    [{ ...request, Operations: [request.Operations[0], request.Operations[0]] }, InvalidValueError],
    [{ ...request, Operations: [{ method: 'PUT', path: '/Users/1' }] }, InvalidSyntaxError],
  ])('rejects malformed request %#', (body, type) => {
    expect(() => parseBulkRequest(body, { maxOperations: 10 })).toThrow(type);
  });

  it('builds a response', () => {
    expect(
      buildBulkResponse([{ method: 'POST', bulkId: 'qwerty', status: '201', location: '/Users/1' }])
        .Operations,
    ).toHaveLength(1);
  });
});
