import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
} from 'class-validator';
import { ALL_SCOPES, type Scope } from '@hub/auth';

export const DIALECTS = ['rfc', 'entra', 'okta'] as const;

export class CreateApiClientDto {
  @IsString()
  @Length(1, 100)
  @Matches(/^[\w .@-]+$/, { message: 'name may contain letters, digits, spaces and . _ @ -' })
  name!: string;

  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(ALL_SCOPES as string[], {
    each: true,
    message: `each scope must be one of: ${ALL_SCOPES.join(', ')}`,
  })
  scopes!: Scope[];

  @IsOptional()
  @IsUUID()
  sourceId?: string;

  @IsOptional()
  @IsIn(DIALECTS as unknown as string[])
  dialect?: (typeof DIALECTS)[number];
}

export interface ApiClientView {
  id: string;
  name: string;
  scopes: string[];
  sourceId: string | null;
  dialect: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
