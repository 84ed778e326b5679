import type { Request } from 'express';
import type * as sdk from '../../generated/sdk.gen.js';

/** Every operationId in openapi.yaml (the generated SDK has one function per operation). */
export type OperationId = keyof typeof sdk;

/** The operationId express-openapi-validator matched this request to, if any. */
export function operationIdOf(req: Request): string | undefined {
  return (req as Request & { openapi?: { schema?: { operationId?: string } } }).openapi?.schema?.operationId;
}
