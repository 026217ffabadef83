import { Agent, request } from 'node:https';
import type { KubernetesObject } from '@mayday/model';

/** A Kubernetes object as JSON: the one shape libs/model defines, by the name this client's callers use. */
export type KubeObject = KubernetesObject;

/** What the API server answered: status, body, and each `Warning` header (admission warnings among them). */
export interface KubeResponse {
  status: number;
  body: Record<string, unknown>;
  warnings: string[];
}

export interface ApplyOptions {
  namespace?: string;
  /** dryRun=All: admitted and validated like a real write, stored nowhere. */
  dryRun?: boolean;
  fieldManager?: string;
}

/** Where a kind is served: its resource (plural) and whether it is namespaced, from the server's discovery. */
interface ResourceInfo {
  resource: string;
  namespaced: boolean;
}

/**
 * A small client for the API server's HTTP API: server-side apply with strict field validation, get, list,
 * delete, discovery. It returns the server's own status and message and its Warning headers, which is what the
 * tests compare with lint.
 */
export class KubeClient {
  readonly server: string;
  private readonly token: string;
  private readonly agent: Agent;
  private readonly discovery = new Map<string, Map<string, ResourceInfo>>();

  constructor(options: { server: string; token: string; caPem: string }) {
    this.server = options.server;
    this.token = options.token;
    this.agent = new Agent({ ca: options.caPem, keepAlive: true, maxSockets: 8 });
  }

  close(): void {
    this.agent.destroy();
  }

  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse> {
    const url = new URL(path, this.server);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          // an explicit length: a chunked body on a kept-alive connection can leave the next request unreadable
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            ...(payload !== undefined
              ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown>;
            try {
              parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            } catch {
              parsed = { message: text };
            }
            const warnings: string[] = [];
            for (let i = 0; i < res.rawHeaders.length; i += 2)
              if (res.rawHeaders[i].toLowerCase() === 'warning') warnings.push(warningText(res.rawHeaders[i + 1]));
            resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
          });
        },
      );
      req.setTimeout(30_000, () =>
        req.destroy(new Error(`${method} ${url.pathname}: no answer from ${this.server} in 30 s`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The resource of a kind, looked up in the server's discovery (again after a miss: a CRD may be new). */
  async resourceOf(apiVersion: string, kind: string): Promise<ResourceInfo> {
    for (const refresh of [false, true]) {
      if (refresh || !this.discovery.has(apiVersion)) {
        const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        const res = await this.request('GET', path);
        const kinds = new Map<string, ResourceInfo>();
        if (res.status === 200)
          for (const r of (res.body.resources ?? []) as { name: string; kind: string; namespaced: boolean }[])
            if (!r.name.includes('/')) kinds.set(r.kind, { resource: r.name, namespaced: r.namespaced });
        this.discovery.set(apiVersion, kinds);
      }
      const info = this.discovery.get(apiVersion)!.get(kind);
      if (info) return info;
    }
    throw new Error(`the API server serves no ${kind} in ${apiVersion} (is its CRD installed?)`);
  }

  async pathOf(apiVersion: string, kind: string, namespace?: string, name?: string): Promise<string> {
    const { resource, namespaced } = await this.resourceOf(apiVersion, kind);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
    return `${base}${ns}/${resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  /** Server-side apply with fieldValidation=Strict (an unknown or duplicate field is an error, not a warning). */
  async apply(object: KubeObject, options: ApplyOptions = {}): Promise<KubeResponse> {
    const namespace = options.namespace ?? object.metadata.namespace;
    const { namespaced } = await this.resourceOf(object.apiVersion, object.kind);
    const body = namespaced && namespace ? { ...object, metadata: { ...object.metadata, namespace } } : object;
    const query = new URLSearchParams({
      fieldManager: options.fieldManager ?? 'mayday-test',
      fieldValidation: 'Strict',
      force: 'true',
    });
    if (options.dryRun) query.set('dryRun', 'All');
    const path = await this.pathOf(object.apiVersion, object.kind, namespace, object.metadata.name);
    return this.request('PATCH', `${path}?${query}`, body, 'application/apply-patch+yaml');
  }

  /** apply, throwing with the server's message when it refuses. */
  async applyOrThrow(object: KubeObject, options: ApplyOptions = {}): Promise<KubeResponse> {
    const res = await this.apply(object, options);
    if (res.status >= 300) throw new Error(`${object.kind} ${object.metadata.name}: ${res.status} ${messageOf(res)}`);
    return res;
  }

  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject | undefined> {
    const res = await this.request('GET', await this.pathOf(apiVersion, kind, namespace, name));
    if (res.status === 404) return undefined;
    if (res.status >= 300) throw new Error(`get ${kind} ${name}: ${res.status} ${messageOf(res)}`);
    return res.body as KubeObject;
  }

  /** Every object of a kind, in one namespace or (namespace undefined) in all of them. */
  async list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KubeObject[]> {
    const { resource, namespaced } = await this.resourceOf(apiVersion, kind);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    const query = labelSelector ? `?${new URLSearchParams({ labelSelector })}` : '';
    const res = await this.request('GET', `${base}${ns}/${resource}${query}`);
    if (res.status >= 300) throw new Error(`list ${kind}: ${res.status} ${messageOf(res)}`);
    return ((res.body.items ?? []) as KubeObject[]).map((item) => ({ ...item, apiVersion, kind }));
  }

  async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeResponse> {
    return this.request('DELETE', await this.pathOf(apiVersion, kind, namespace, name), {
      propagationPolicy: 'Foreground',
    });
  }

  async patchMerge(
    apiVersion: string,
    kind: string,
    name: string,
    namespace: string | undefined,
    patch: unknown,
  ): Promise<KubeResponse> {
    return this.request(
      'PATCH',
      await this.pathOf(apiVersion, kind, namespace, name),
      patch,
      'application/merge-patch+json',
    );
  }
}

/** The server's message of a failed request (a Status object's message). */
export function messageOf(res: KubeResponse): string {
  return String(res.body.message ?? JSON.stringify(res.body));
}

/** `299 - "text"` → `text` (RFC 7234 warn-code, agent, quoted text). */
function warningText(header: string): string {
  const match = /^\d{3} \S+ "(.*)"$/.exec(header);
  return match ? match[1].replace(/\\(.)/g, '$1') : header;
}
