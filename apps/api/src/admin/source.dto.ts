import {
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateBy,
  buildMessage,
  type ValidationOptions,
} from 'class-validator';
import { OmitType, PartialType } from '@nestjs/swagger';
import { SOURCE_KINDS, type SourceKind, type SourceRoles } from '@hub/persistence';
import { cronProblem } from '@hub/sync';

const MAX_CONFIG_BYTES = 64 * 1024;

/** `{ "User": { "create": true, "update": true } }`: booleans only, resource type names like SCIM's. */
function IsSourceRoles(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSourceRoles',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.entries(value).every(
            ([type, role]) =>
              /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(type) &&
              typeof role === 'object' &&
              role !== null &&
              Object.keys(role).every((k) => k === 'create' || k === 'update') &&
              typeof (role as Record<string, unknown>).create === 'boolean' &&
              typeof (role as Record<string, unknown>).update === 'boolean',
          ),
        defaultMessage: buildMessage(
          (each) => `${each}$property must map resource types to {"create": boolean, "update": boolean}`,
          options,
        ),
      },
    },
    options,
  );
}

/** A JSON object of bounded size, so a client cannot store megabytes of configuration. */
function IsBoundedObject(maxBytes: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isBoundedObject',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          JSON.stringify(value).length <= maxBytes,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be a JSON object of at most ${maxBytes} bytes`,
          options,
        ),
      },
    },
    options,
  );
}

/** Secret values are strings; names are identifiers. They are encrypted and never returned. */
function IsSecretMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSecretMap',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.entries(value).length <= 20 &&
          Object.entries(value).every(
            ([k, v]) => /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(k) && typeof v === 'string' && v.length <= 8192,
          ),
        defaultMessage: buildMessage(
          (each) => `${each}$property must map up to 20 names to string values (at most 8 KiB each)`,
          options,
        ),
      },
    },
    options,
  );
}

/** A cron expression as BullMQ's job schedulers read it; the message says what is wrong. */
function IsCron(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCron',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && cronProblem(value) === null,
        defaultMessage: (args) =>
          `${args?.property ?? 'schedule'} ${typeof args?.value === 'string' ? cronProblem(args.value) : 'must be a cron expression string'}`,
      },
    },
    options,
  );
}

export class CreateSourceDto {
  @IsString()
  @Length(1, 100)
  @Matches(/^[\w .@-]+$/, { message: 'name may contain letters, digits, spaces and . _ @ -' })
  name!: string;

  @IsIn(SOURCE_KINDS as unknown as string[])
  kind!: SourceKind;

  @IsOptional()
  @IsSourceRoles()
  roles?: SourceRoles;

  @IsOptional()
  @IsObject()
  @IsBoundedObject(MAX_CONFIG_BYTES)
  config?: Record<string, unknown>;

  @IsOptional()
  @IsSecretMap()
  secrets?: Record<string, string>;

  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  /**
   * When the hub pulls this source (cron, e.g. `0 2 * * *`); `null` or absent: on demand only.
   * Scheduled runs are deltas, with a full pull at least every `config.fullSyncIntervalHours` (24).
   */
  @IsOptional()
  @IsCron()
  schedule?: string | null;
}

/**
 * Every field of a source but its kind, all optional. `secrets`, when given, replaces all stored
 * secrets (`{}` removes them); omit it to keep them.
 */
export class UpdateSourceDto extends PartialType(OmitType(CreateSourceDto, ['kind'] as const)) {}

export interface SourceView {
  id: string;
  name: string;
  kind: SourceKind;
  roles: SourceRoles;
  config: Record<string, unknown>;
  /** Names of the stored secrets; their values never leave the hub. */
  secretNames: string[];
  enabled: boolean;
  /** Cron expression of scheduled sync runs, or null (on demand only). */
  schedule: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The outcome of `POST /admin/v1/sources/:id/test`. */
export type SourceTestResult =
  | { ok: true; detail: string; durationMs: number }
  | { ok: false; kind: string; message: string; retryable: boolean; durationMs: number };
