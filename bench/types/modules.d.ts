// Minimal typings for the bench-only packages that ship none.

declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
    onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
  }

  interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    pipelining?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    requests?: AutocannonRequest[];
    setupClient?: (client: unknown) => void;
  }

  interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
    requests: { average: number; total: number; sent: number };
    latency: { p50: number; p99: number; average: number };
  }

  interface Instance extends EventEmitter, PromiseLike<AutocannonResult> {
    stop(): void;
  }

  function autocannon(options: AutocannonOptions): Instance;
  export = autocannon;
}

declare module 'express' {
  import type { IncomingMessage, Server, ServerResponse } from 'node:http';
  type Handler = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;
  interface Application {
    (request: IncomingMessage, response: ServerResponse): void;
    use(...handlers: Handler[]): Application;
    post(path: string, ...handlers: Handler[]): Application;
    set(name: string, value: unknown): Application;
    listen(port: number, host: string, callback?: () => void): Server;
  }
  interface Express {
    (): Application;
    urlencoded(options: { extended: boolean; limit?: string }): Handler;
  }
  const express: Express;
  export default express;
}

declare module '@node-oauth/express-oauth-server' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  type Handler = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;
  export default class ExpressOAuthServer {
    constructor(options: Record<string, unknown>);
    token(options?: Record<string, unknown>): Handler;
  }
}

declare module 'oidc-provider' {
  import type { Server } from 'node:http';
  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    listen(port: number, host: string, callback?: () => void): Server;
    proxy: boolean;
  }
}
