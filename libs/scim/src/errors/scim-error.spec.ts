import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  InternalServerError,
  InvalidFilterError,
  InvalidPathError,
  InvalidSyntaxError,
  InvalidValueError,
  InvalidVersError,
  MutabilityError,
  NoTargetError,
  NotFoundError,
  NotImplementedError,
  PayloadTooLargeError,
  PreconditionFailedError,
  ScimError,
  SensitiveError,
  TooManyError,
  TooManyRequestsError,
  UnauthorizedError,
  UniquenessError,
  isScimTypeApplicable,
  toScimError,
} from './scim-error';

describe('errors (rfc7644 §3.12)', () => {
  it.each([
    [new InvalidFilterError('x'), 400, 'invalidFilter'],
    [new TooManyError(), 400, 'tooMany'],
    [new UniquenessError('x'), 409, 'uniqueness'],
    [new MutabilityError('x'), 400, 'mutability'],
    [new InvalidSyntaxError('x'), 400, 'invalidSyntax'],
    [new InvalidPathError('x'), 400, 'invalidPath'],
    [new NoTargetError('x'), 400, 'noTarget'],
    [new InvalidValueError('x'), 400, 'invalidValue'],
    [new InvalidVersError(), 400, 'invalidVers'],
    [new SensitiveError(), 403, 'sensitive'],
    [new BadRequestError(), 400, undefined],
    [new UnauthorizedError(), 401, undefined],
    [new ForbiddenError(), 403, undefined],
    [new NotFoundError(), 404, undefined],
    [new ConflictError(), 409, undefined],
    [new PreconditionFailedError(), 412, undefined],
    [new PayloadTooLargeError(), 413, undefined],
    [new TooManyRequestsError(), 429, undefined],
    [new InternalServerError(), 500, undefined],
    [new NotImplementedError(), 501, undefined],
  ])('%p has status %i and scimType %p', (error, status, scimType) => {
    expect(error).toBeInstanceOf(ScimError);
    expect(error.status).toBe(status);
    const json = error.toJSON();
    expect(json).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: String(status),
      ...(scimType ? { scimType } : {}),
      detail: error.message,
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual(json);
  });

  it('knows which methods may answer with a scimType', () => {
    expect(isScimTypeApplicable('noTarget', 'PATCH')).toBe(true);
    expect(isScimTypeApplicable('noTarget', 'PUT')).toBe(false);
    expect(isScimTypeApplicable('invalidFilter', 'GET')).toBe(true);
  });

  it('toScimError keeps ScimErrors and hides others', () => {
    const e = new NoTargetError('x');
    expect(toScimError(e)).toBe(e);
    expect(toScimError(new TypeError('boom')).status).toBe(500);
  });
});
