/**
 * The resources a scope can cover (docs/resource-server.md): a folder (`orders`, `orders.v1`), a service
 * (`orders.v1:getOrder`) or a URL template (`GET /rest/orders/{id}`, `* /rest/admin/**`).
 * This file only parses and validates them; matching a request is the resource server's job.
 */
export type ResourceRef =
  | { kind: 'folder'; folder: string }
  | { kind: 'service'; folder: string; service: string }
  | { kind: 'template'; method: string; path: string };

const SEGMENT = '[A-Za-z0-9_$-]+';
const FOLDER = new RegExp(`^${SEGMENT}(?:\\.${SEGMENT})*$`);
const SERVICE = new RegExp(`^(${SEGMENT}(?:\\.${SEGMENT})*):(${SEGMENT})$`);
const TEMPLATE = /^(\*|[A-Z]+) (\/\S*)$/;

export function parseResource(text: string): ResourceRef | undefined {
  const template = TEMPLATE.exec(text);
  if (template) return { kind: 'template', method: template[1]!, path: template[2]! };
  const service = SERVICE.exec(text);
  if (service) return { kind: 'service', folder: service[1]!, service: service[2]! };
  if (FOLDER.test(text)) return { kind: 'folder', folder: text };
  return undefined;
}

export function isValidServiceName(text: string): boolean {
  return SERVICE.test(text);
}

export function isValidFolderName(text: string): boolean {
  return FOLDER.test(text);
}
