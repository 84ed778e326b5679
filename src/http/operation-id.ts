import type { Request } from 'express';

/** The operationId express-openapi-validator matched this request to, if any. */
export function operationIdOf(req: Request): string | undefined {
  return (req as Request & { openapi?: { schema?: { operationId?: string } } }).openapi?.schema?.operationId;
}
