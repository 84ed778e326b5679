export interface SpecPaths {
  paths: Record<string, Record<string, { operationId?: string }>>;
}

/**
 * "METHOD /path" → operationId of each of `operations`, for middleware that must know the
 * operation before the validator names it (ahead of body parsing). None of them may have path
 * parameters: a plain lookup matches them.
 */
export function operationRoutes(spec: SpecPaths, operations: ReadonlySet<string>): Map<string, string> {
  const routes = new Map<string, string>();
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!operation?.operationId || !operations.has(operation.operationId)) continue;
      if (path.includes('{')) throw new Error(`operation ${operation.operationId} has path parameters: operationRoutes cannot match it`);
      routes.set(`${method.toUpperCase()} ${path}`, operation.operationId);
    }
  }
  return routes;
}
