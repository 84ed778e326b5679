/**
 * In-process wake-up for the worker: a mail committed now is sent now rather than at the next
 * interval. Only a hint; the interval still finds everything (and other instances' mail).
 */
export class OutboxSignal {
  private readonly listeners = new Set<() => void>();

  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of this.listeners) listener();
  }
}
