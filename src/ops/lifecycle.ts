/**
 * Default drain after SIGTERM: longer than a balancer needs to see /readyz fail (HAProxy with
 * `inter 1s fall 2`: about 2 s; Kubernetes' readiness probe with `periodSeconds: 2,
 * failureThreshold: 2` the same), with room for one slow check.
 */
export const DEFAULT_SHUTDOWN_DRAIN_MS = 5000;

/**
 * Whether this instance is shutting down. While it drains, `/readyz` answers 503 so the load
 * balancer stops sending new requests, and the instance keeps serving what still arrives.
 */
export class Lifecycle {
  private drainStartedAt: number | undefined;

  get draining(): boolean {
    return this.drainStartedAt !== undefined;
  }

  beginDrain(now = Date.now()): void {
    this.drainStartedAt ??= now;
  }
}
