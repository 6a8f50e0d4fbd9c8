import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeProtectedHeader, exportJWK, importJWK, jwtVerify } from 'jose';
import { JwsSigner } from '../../src/core/jws.ts';
import type { SigningAlgorithm, SigningKeyRecord } from '../../src/core/model.ts';
import { SecretBox } from '../../src/core/secret-box.ts';
import { generateSigningKey, keySetAt, sealContext } from '../../src/core/signing-keys.ts';

const box = new SecretBox(randomBytes(32));

async function keyOf(alg: SigningAlgorithm, generation = 1, activatesAt = 0, retainPrevious = 600): Promise<SigningKeyRecord> {
  return generateSigningKey(alg, box, { generation, createdAt: 0, activatesAt, retainPrevious });
}

describe('JwsSigner (compact JWS through node:crypto, RFC 7515 §7.1)', () => {
  const signerOf = (record: SigningKeyRecord) =>
    new JwsSigner(JSON.parse(box.open(record.privateSealed, sealContext(record.kid)).toString('utf8')), record.alg, record.kid);
  const where = {
    'on the calling thread': (signer: JwsSigner, claims: object, typ: string) => Promise.resolve(signer.sign(claims, typ)),
    "on libuv's thread pool": (signer: JwsSigner, claims: object, typ: string) => signer.signOnThreadPool(claims, typ),
  };

  for (const alg of ['ES256', 'RS256', 'EdDSA'] as const) {
    for (const [place, sign] of Object.entries(where)) {
      it(`signs ${alg} tokens ${place} that jose verifies against the published key, header and claims as given`, async () => {
        const record = await keyOf(alg);
        const signer = signerOf(record);
        const claims = { iss: 'https://as.example', sub: 'Ærø', aud: 'https://rs.example', exp: 2_000_000_000, iat: 1_000_000_000, scope: 'a b' };
        const token = await sign(signer, claims, 'at+jwt');
        assert.deepEqual(decodeProtectedHeader(token), { alg, kid: record.kid, typ: 'at+jwt' });
        const key = await importJWK(record.publicJwk, alg);
        const { payload } = await jwtVerify(token, key, { algorithms: [alg], typ: 'at+jwt', currentDate: new Date(1_500_000_000_000) });
        assert.deepEqual(payload, claims);
        // Another typ gets its own header; a flipped signature bit is refused.
        assert.equal(decodeProtectedHeader(await sign(signer, claims, 'JWT')).typ, 'JWT');
        const [head, body, signature] = token.split('.');
        const altered = Buffer.from(signature!, 'base64url');
        altered[0] = altered[0]! ^ 1;
        await assert.rejects(jwtVerify(`${head}.${body}.${altered.toString('base64url')}`, key, { currentDate: new Date(1_500_000_000_000) }));
      });
    }
  }

  for (const [place, sign] of Object.entries(where)) {
    it(`gives ES256 signatures in the JOSE r || s form (RFC 7518 §3.4) ${place}: 64 bytes, not DER`, async () => {
      const signer = signerOf(await keyOf('ES256'));
      for (let i = 0; i < 20; i++) assert.equal(Buffer.from((await sign(signer, { i }, 'JWT')).split('.')[2]!, 'base64url').length, 64);
    });
  }
});

describe('keySetAt (the key ring view, docs/tokens.md "Rotation")', () => {
  it('holds until the next key starts signing, then until the retired key leaves the JWKS', async () => {
    const first = await keyOf('ES256', 1, 0);
    const second = await keyOf('ES256', 2, 1_000, 300);
    const before = keySetAt([second, first], 500)!;
    assert.equal(before.current.kid, first.kid);
    assert.deepEqual(before.jwks.keys.map((key) => key.kid), [first.kid, second.kid]);
    assert.equal(before.until, 1_000);
    const after = keySetAt([first, second], 1_000)!;
    assert.equal(after.current.kid, second.kid);
    assert.deepEqual(after.published.map((key) => key.kid), [first.kid, second.kid]);
    assert.equal(after.until, 1_300);
    const removed = keySetAt([first, second], 1_300)!;
    assert.deepEqual(removed.jwks.keys.map((key) => key.kid), [second.kid]);
    assert.equal(removed.until, Infinity);
    assert.equal(keySetAt([], 0), undefined);
    assert.equal((await exportJWK((await importJWK(removed.jwks.keys[0]!, 'ES256')) as CryptoKey)).d, undefined, 'no private part published');
  });
});
