import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** One autocannon run: `connections` keep-alive connections for `seconds`. */
export async function load(opts: autocannon.Options, connections: number, seconds: number): Promise<LoadResult> {
  const result = await autocannon({ ...opts, connections, duration: seconds });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
