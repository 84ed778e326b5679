import http from 'node:http';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed body when it is JSON. */
  json: any;
  /** The instance that answered (HAProxy's X-Served-By). */
  servedBy: string | undefined;
}

export interface CallOptions {
  body?: unknown;
  /** Bearer token. */
  token?: string;
  /** Local source address (any 127.x.y.z): who the client is, as HAProxy sees it. */
  from?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

const agents = new Map<string, http.Agent>();

/** Kept-alive connections per source address, as a real client or a browser would hold them. */
function agentFor(from: string): http.Agent {
  let agent = agents.get(from);
  if (!agent) {
    agent = new http.Agent({ keepAlive: true, maxSockets: 50, localAddress: from } as http.AgentOptions);
    agents.set(from, agent);
  }
  return agent;
}

export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

/** One HTTP request to `base`; rejects on a network error or after `timeoutMs` (default 15 s). */
export function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const url = new URL(path, base);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent: agentFor(options.from ?? '127.0.0.1') }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('error', reject);
      response.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const servedBy = response.headers['x-served-by'];
        resolve({ status: response.statusCode!, headers: response.headers, text, json, servedBy: Array.isArray(servedBy) ? servedBy[0] : servedBy });
      });
    });
    request.setTimeout(options.timeoutMs ?? 15_000, () => request.destroy(new Error(`${method} ${path}: no answer in ${options.timeoutMs ?? 15_000} ms`)));
    request.on('error', reject);
    request.end(payload);
  });
}
