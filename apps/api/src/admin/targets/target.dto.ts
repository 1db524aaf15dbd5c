import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
  buildMessage,
  type ValidationOptions,
} from 'class-validator';
import { TARGET_SECRET_NAMES } from '@hub/push';

const PEM_MAX = 64 * 1024;

/** http(s), no credentials in the URL (they belong in auth + secrets), no query or fragment. */
function IsTargetBaseUrl(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTargetBaseUrl',
      validator: {
        validate: (value: unknown) => baseUrlProblem(value) === undefined,
        defaultMessage: buildMessage((each) => `${each}$property ${'must be an http(s) URL'}`, options),
      },
    },
    options,
  );
}

/** Why a base URL is refused, or undefined. Also used for a precise message. */
export function baseUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return 'must be an http(s) URL';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (url.username || url.password) return 'must not carry credentials (use auth and secrets)';
  if (url.search || url.hash) return 'must not have a query or fragment';
  return undefined;
}

/** Names from TARGET_SECRET_NAMES, string values; encrypted at rest and never returned. */
function IsTargetSecrets(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTargetSecrets',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.entries(value).every(
            ([k, v]) =>
              (TARGET_SECRET_NAMES as readonly string[]).includes(k) &&
              typeof v === 'string' &&
              v.length > 0 &&
              v.length <= PEM_MAX,
          ),
        defaultMessage: buildMessage(
          (each) => `${each}$property may only hold ${TARGET_SECRET_NAMES.join(', ')} as non-empty strings`,
          options,
        ),
      },
    },
    options,
  );
}

function IsJsonObject(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isJsonObject',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          JSON.stringify(value).length <= 256 * 1024,
        defaultMessage: buildMessage((each) => `${each}$property must be a JSON object`, options),
      },
    },
    options,
  );
}

export class TargetTlsDto {
  @ApiPropertyOptional({ description: 'PEM of the CA(s) to trust instead of the system store' })
  @IsOptional()
  @IsString()
  @MaxLength(PEM_MAX)
  @Matches(/-----BEGIN CERTIFICATE-----/, { message: 'tls.caPem must be a PEM certificate' })
  caPem?: string;

  @ApiPropertyOptional({ description: 'mTLS client certificate (PEM); its key is the secret clientKeyPem' })
  @IsOptional()
  @IsString()
  @MaxLength(PEM_MAX)
  @Matches(/-----BEGIN CERTIFICATE-----/, { message: 'tls.clientCertPem must be a PEM certificate' })
  clientCertPem?: string;

  @ApiPropertyOptional({ description: 'Default true; false only for a lab target' })
  @IsOptional()
  @IsBoolean()
  rejectUnauthorized?: boolean;

  @ApiPropertyOptional({ description: 'TLS server name (SNI) when it differs from the host' })
  @IsOptional()
  @IsString()
  @Length(1, 253)
  serverName?: string;
}

export class CreateTargetDto {
  @ApiProperty({ example: 'Salesforce' })
  @IsString()
  @Length(1, 100)
  @Matches(/^[\w .@-]+$/, { message: 'name may contain letters, digits, spaces and . _ @ -' })
  name!: string;

  @ApiProperty({
    example: 'https://app.example.com/scim/v2',
    description: 'The SCIM base URL (http or https)',
  })
  @IsTargetBaseUrl()
  baseUrl!: string;

  @ApiPropertyOptional({
    description:
      '{ kind: none } · { kind: bearer } · { kind: basic, username } · { kind: oauth2, tokenUrl, clientId, scope?, audience? }; secret parts go in `secrets`',
    example: { kind: 'bearer' },
  })
  @IsOptional()
  @IsJsonObject()
  auth?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: `Write-only: ${TARGET_SECRET_NAMES.join(', ')}. Encrypted at rest, never returned (only their names).`,
    example: { token: '…' },
  })
  @IsOptional()
  @IsTargetSecrets()
  secrets?: Record<string, string>;

  @ApiPropertyOptional({ type: TargetTlsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => TargetTlsDto)
  tls?: TargetTlsDto;

  @ApiPropertyOptional({
    description:
      'Per resource type: { enabled, endpoint?, matchAttribute, mapping: { mode: identity|explicit, attributes? }, scope?: { filter?, groups? }, deprovision: disable|delete|leave, memberBatchSize? }. Default: User and Group, identity mapping, disable on leave.',
    example: { User: { matchAttribute: 'userName', mapping: { mode: 'identity' }, deprovision: 'disable' } },
  })
  @IsOptional()
  @IsJsonObject()
  resourceTypes?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Requests per second, across all workers',
    minimum: 1,
    maximum: 100000,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  rateLimit?: number;

  @ApiPropertyOptional({ description: 'Requests in flight, across all workers', minimum: 1, maximum: 1000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  concurrency?: number;

  @ApiPropertyOptional({
    description: 'Deprovisioning beyond max(minimum, share × linked) within the window is held for an admin',
    example: { share: 0.2, windowMinutes: 60, minimum: 10 },
  })
  @IsOptional()
  @IsJsonObject()
  deletionThreshold?: Record<string, unknown>;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

/**
 * Any field of a target, all optional. `secrets`, when given, replaces all stored secrets (`{}`
 * removes them); omit it to keep them.
 */
export class UpdateTargetDto extends PartialType(CreateTargetDto) {}

/** Where a target's discovery is wrong: merged over what it said about itself. */
export class CapabilityOverridesDto {
  @ApiPropertyOptional({ description: 'PATCH works (or not) whatever the ServiceProviderConfig says' })
  @IsOptional()
  @IsBoolean()
  patch?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  filter?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  etag?: boolean;

  @ApiPropertyOptional({ description: 'Most PATCH operations the target takes in one request' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxPatchOperations?: number;

  @ApiPropertyOptional({
    description: 'Resource type name → { endpoint, schema, extensions }',
    example: {
      User: { endpoint: '/Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User', extensions: [] },
    },
  })
  @IsOptional()
  @IsJsonObject()
  resourceTypes?: Record<string, unknown>;

  @ApiPropertyOptional({ type: [String], description: 'Schema URNs the target takes' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @Matches(/^urn:[^\s]+$/, { each: true, message: 'each schema must be a URN' })
  schemas?: string[];
}

export interface TargetView {
  id: string;
  name: string;
  baseUrl: string;
  auth: Record<string, unknown>;
  tls: Record<string, unknown>;
  /** Names of the stored secrets; their values never leave the hub. */
  secretNames: string[];
  resourceTypes: Record<string, unknown>;
  rateLimit: number;
  concurrency: number;
  deletionThreshold: { share: number; windowMinutes: number; minimum: number };
  enabled: boolean;
  state: string;
  stateReason: string | null;
  stateSince: string | null;
  /** What discovery found, as stored (null before the first discovery). */
  capabilities: Record<string, unknown> | null;
  capabilityOverrides: Record<string, unknown>;
  /** Discovery with the overrides on top: what the push pipeline uses. */
  effectiveCapabilities: Record<string, unknown>;
  /** The last dialect probe's report (null before the first probe). */
  dialect: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}
