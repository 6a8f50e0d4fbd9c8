import { errors, importJWK, type JWK, type JWTPayload } from 'jose';
import type { Clock } from '../core/clock.ts';
import { JwsSigner } from '../core/jws.ts';
import { passwordHashesInFlight } from '../core/password-hash.ts';
import type { Client, Settings, SigningAlgorithm, SigningKeyRecord } from '../core/model.ts';
import type { SecretBox } from '../core/secret-box.ts';
import { generateSigningKey, keySetAt, type KeySetView, keyStatuses, sealContext } from '../core/signing-keys.ts';
import type { ClientStore, SigningKeyStore } from '../store/store.ts';

/** Seconds an ID token is valid (OpenID Connect Core §2 `exp`): it is read once, at sign-in. */
export const ID_TOKEN_TTL = 600;

/** The lifetime of a `jwt` client's access tokens when it follows the global setting (docs/tokens.md). */
export const JWT_DEFAULT_TTL = 300;

type KeyStores = SigningKeyStore & Pick<ClientStore, 'listClients'>;

/**
 * The longest lifetime of a token a key may have signed: ID tokens, and the access tokens of every
 * `jwt` client. A retired key stays published this long after its successor starts signing.
 */
export function longestSignedLifetime(clients: Client[]): number {
  let longest = ID_TOKEN_TTL;
  for (const client of clients) if (client.tokenFormat === 'jwt') longest = Math.max(longest, jwtAccessTokenLifetime(client));
  return longest;
}

/** A `jwt` client's access-token lifetime: its own, else 5 minutes (a JWT is accepted offline until it expires; docs/tokens.md). */
export function jwtAccessTokenLifetime(client: Client): number {
  return client.accessTokenTtl === 'global' || client.accessTokenTtl === 'never' ? JWT_DEFAULT_TTL : client.accessTokenTtl;
}

/**
 * Adds the next generation of signing key (docs/tokens.md "Rotation"): published at once, signing
 * after `publishDelay` seconds. The key is the next after the newest of `seen`, the view the
 * decision to rotate was taken on (read now when not given): several instances deciding on the same
 * view at the same moment add exactly one key (the store's generation is unique), and the losers
 * add nothing and return `undefined`.
 */
export async function addNextKey(
  store: KeyStores,
  box: SecretBox,
  now: number,
  settings: Settings,
  options: { alg?: SigningAlgorithm; publishDelay?: number; seen?: SigningKeyRecord[] } = {},
): Promise<SigningKeyRecord | undefined> {
  const keys = options.seen ?? (await store.listSigningKeys());
  const generation = keys.reduce((max, key) => Math.max(max, key.generation), 0) + 1;
  const key = await generateSigningKey(options.alg ?? settings.signingKeyAlgorithm, box, {
    generation,
    createdAt: now,
    // The first key signs at once: nobody can hold a JWKS without it yet.
    activatesAt: keys.length === 0 ? now : now + (options.publishDelay ?? settings.signingKeyPublishDelay),
    retainPrevious: longestSignedLifetime(await store.listClients()),
  });
  return (await store.addSigningKey(key)) ? key : undefined;
}

/**
 * Every instance's view of the shared signing keys: read from the store at most every
 * `maxAgeSeconds` (a rotation made elsewhere is seen within that bound, well inside the publish
 * delay), private halves opened once per key. Which key signs and which are published is worked
 * out once per reload and again only when a key changes state, not per token. Signs with the
 * current key; publishes the JWKS; rotates on the configured schedule. The first start makes the
 * first key.
 */
export class KeyRing {
  private keys: SigningKeyRecord[] = [];
  private view: KeySetView | undefined;
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;
  private readonly signers = new Map<string, JwsSigner>();
  private readonly verifying = new Map<string, Promise<CryptoKey | Uint8Array>>();

  constructor(
    private readonly store: KeyStores,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly settings: () => Promise<Settings>,
    private readonly maxAgeSeconds = 5,
    private readonly options: {
      /** Off in all workers but one of `serve --workers N`: one process per host rotates (a rotation race still adds one key). */
      rotateOnSchedule: boolean;
      /**
       * Whether signatures may run on libuv's thread pool (see `sign`): for a single process on a
       * machine with cores to spare. Where every core runs an event loop (`--workers`), the pool's
       * thread hop only adds CPU.
       */
      signOnThreadPool: boolean;
    } = { rotateOnSchedule: true, signOnThreadPool: false },
  ) {}

  /** Makes the first key when there is none (one instance wins; the others read its key). */
  async start(): Promise<void> {
    // The generation is decided from this same read: an instance that saw no key tries the first
    // generation, and loses to one that made it meanwhile, instead of adding a second key.
    const seen = await this.store.listSigningKeys();
    if (seen.length === 0) await addNextKey(this.store, this.box, this.clock.nowSeconds(), await this.settings(), { seen });
    await this.reload();
  }

  private async reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        this.use(await this.store.listSigningKeys());
        this.loadedAt = this.clock.nowSeconds();
        if (this.options.rotateOnSchedule) await this.rotateOnSchedule();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** Takes a new read of the keys; what was worked out from the old one goes, and so do keys no longer stored. */
  private use(keys: SigningKeyRecord[]): void {
    this.keys = keys;
    this.view = undefined;
    const kids = new Set(keys.map((key) => key.kid));
    for (const kid of this.signers.keys()) if (!kids.has(kid)) this.signers.delete(kid);
    for (const kid of this.verifying.keys()) if (!kids.has(kid)) this.verifying.delete(kid);
  }

  /** The keys as of now: read again when stale, worked out again when a key has changed state since. */
  private async now(): Promise<KeySetView> {
    const now = this.clock.nowSeconds();
    // A clock set back counts as stale too.
    const age = now - this.loadedAt;
    if (this.keys.length === 0 || age >= this.maxAgeSeconds || age < 0) await this.reload();
    let view = this.view;
    if (!view || now >= view.until || now < view.from) {
      view = keySetAt(this.keys, now);
      if (!view) throw new Error('no signing key: the key ring was not started');
      this.view = view;
    }
    return view;
  }

  /** With a schedule set, the current key is replaced once it has signed that many days and no next key waits. */
  private async rotateOnSchedule(): Promise<void> {
    const settings = await this.settings();
    if (settings.signingKeyRotationDays <= 0) return;
    const now = this.clock.nowSeconds();
    const statuses = keyStatuses(this.keys, now);
    const current = statuses.find((status) => status.state === 'current');
    if (!current || statuses.some((status) => status.state === 'next')) return;
    if (now - current.key.activatesAt < settings.signingKeyRotationDays * 86_400) return;
    if (await addNextKey(this.store, this.box, now, settings, { seen: this.keys })) this.use(await this.store.listSigningKeys());
  }

  private signer(record: SigningKeyRecord): JwsSigner {
    let signer = this.signers.get(record.kid);
    if (!signer) {
      const jwk = JSON.parse(this.box.open(record.privateSealed, sealContext(record.kid)).toString('utf8')) as JWK;
      signer = new JwsSigner(jwk, record.alg, record.kid);
      this.signers.set(record.kid, signer);
    }
    return signer;
  }

  /**
   * Signs with the current key; the header carries `alg`, `kid` and `typ`. A payload that depends on
   * the algorithm (`at_hash`) is a function of it, so that it matches the key that signs.
   *
   * With `signOnThreadPool`, the signature runs on libuv's thread pool, beside the event loop, unless
   * password hashes are on the pool: a signature queued behind them would wait 10–20 ms each, so
   * then it is made here, on the event loop, as quickly as ever (docs/tokens.md "What each costs").
   */
  async sign(payload: JWTPayload | ((alg: SigningAlgorithm) => JWTPayload), typ: 'at+jwt' | 'JWT'): Promise<string> {
    const signer = this.signer((await this.now()).current);
    const claims = typeof payload === 'function' ? payload(signer.alg) : payload;
    return this.options.signOnThreadPool && passwordHashesInFlight() === 0 ? signer.signOnThreadPool(claims, typ) : signer.sign(claims, typ);
  }

  /** The JWKS: next, current and still-needed retired keys (RFC 7517 §5). */
  async jwks(): Promise<{ keys: JWK[] }> {
    return (await this.now()).jwks;
  }

  /**
   * The key for a JWS header, for verifying in this process (the gateway): a published key of
   * this `kid` and this `alg`, else a JOSE error (the token is refused). Each key is imported once.
   */
  async verificationKey(header: { kid?: string; alg?: string }): Promise<CryptoKey | Uint8Array> {
    const record = header.kid === undefined ? undefined : await this.publishedKey(header.kid);
    if (!record || record.alg !== header.alg) throw new errors.JWKSNoMatchingKey();
    let imported = this.verifying.get(record.kid);
    if (!imported) {
      imported = importJWK(record.publicJwk as JWK, record.alg);
      this.verifying.set(record.kid, imported);
    }
    return imported;
  }

  /**
   * The published key `kid`; an unknown `kid` reloads the keys (another instance may have
   * rotated), at most once a second, so a flood of made-up kids costs few queries.
   */
  private async publishedKey(kid: string): Promise<SigningKeyRecord | undefined> {
    const find = async () => (await this.now()).published.find((key) => key.kid === kid);
    return (await find()) ?? (this.clock.nowSeconds() - this.loadedAt >= 1 ? (await this.reload(), find()) : undefined);
  }
}
