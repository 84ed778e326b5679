import type {
  GetApiReferenceData, GetApiReferenceResponses, GetHealthData, GetHealthResponses, GetJwksData, GetJwksResponses,
  GetMetricsData, GetMetricsResponses, GetOpenApiSpecData, GetOpenApiSpecResponses, GetReadinessData, GetReadinessResponses,
} from '../../generated/types.gen.js';
import { isMigrated } from '../db/knex.js';
import { ApiError } from '../http/errors.js';
import { ok, okText, type PublicHandler } from '../http/handler.js';
import { API_REFERENCE_HTML } from './docs.js';
import { assertMetricsAccess } from './metrics-access.js';

const getHealth: PublicHandler<GetHealthData, GetHealthResponses> = async () => ok({ status: 'ok' as const });

const getReadiness: PublicHandler<GetReadinessData, GetReadinessResponses> = async ({ deps }) => {
  // Draining (SIGTERM): the balancer must stop sending here before the listener closes.
  if (deps.lifecycle.draining) throw new ApiError(503, 'NOT_READY');
  const ready = await isMigrated(deps.db).catch((err: unknown) => {
    deps.log.warn({ err }, 'readiness check: database unreachable');
    return false;
  });
  if (!ready) throw new ApiError(503, 'NOT_READY');
  return ok({ status: 'ready' as const });
};

const getMetrics: PublicHandler<GetMetricsData, GetMetricsResponses> = async ({ deps, req }) => {
  assertMetricsAccess(deps.config.metricsToken, req.headers.authorization);
  return okText(await deps.metrics.registry.metrics(), deps.metrics.registry.contentType);
};

const getOpenApiSpec: PublicHandler<GetOpenApiSpecData, GetOpenApiSpecResponses> = async ({ deps }) => okText(deps.specText, 'application/yaml');

/** The page only; the Scalar bundle it loads is served by docs.ts, outside the spec. */
const getApiReference: PublicHandler<GetApiReferenceData, GetApiReferenceResponses> = async () => okText(API_REFERENCE_HTML, 'text/html');

const getJwks: PublicHandler<GetJwksData, GetJwksResponses> = async ({ deps }) => ok({ keys: deps.keys.publicJwks } as GetJwksResponses[200]);

export const opsHandlers = { getHealth, getReadiness, getMetrics, getOpenApiSpec, getApiReference, getJwks };
