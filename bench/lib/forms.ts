/** HTTP Basic client authentication (RFC 6749 §2.3.1: both parts form-urlencoded first). */
export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export const FORM = 'application/x-www-form-urlencoded';

export function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** One POST over loopback, for set-up (issuing the tokens a scenario then uses). */
export async function postForm(url: string, params: Record<string, string>, authorization?: string): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'content-type': FORM };
  if (authorization) headers.authorization = authorization;
  const response = await fetch(url, { method: 'POST', headers, body: form(params) });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export function fmtRatio(value: number): string {
  return `${value.toFixed(2)}×`;
}
