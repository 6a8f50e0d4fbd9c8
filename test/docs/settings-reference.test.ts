import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderSettingsReference } from '../../scripts/settings-reference.ts';
import { loadConfig } from '../../src/config/config.ts';
import { SETTINGS } from '../../src/config/settings-table.ts';

describe('docs/settings.md, the one settings reference', () => {
  it('is what `npm run docs:settings` generates from the settings table', () => {
    const committed = readFileSync(new URL('../../docs/settings.md', import.meta.url), 'utf8');
    assert.equal(committed, renderSettingsReference(), 'docs/settings.md is stale: run `npm run docs:settings` and commit it');
  });

  it('states the defaults the code uses', () => {
    const config = loadConfig({ config: '/dev/null' }, {});
    const shown = (name: keyof typeof SETTINGS) => SETTINGS[name].default.replace(/^`([^`]*)`.*$/, '$1');
    const pairs: [keyof typeof SETTINGS, unknown][] = [
      ['port', config.port],
      ['host', config.host],
      ['db', config.db],
      ['logLevel', config.logLevel],
      ['settingsMaxAge', config.settingsMaxAge],
      ['refreshReuseLeeway', config.refreshReuseLeeway],
      ['databasePoolMax', config.postgres.maxConnections],
      ['databaseStatementTimeout', config.postgres.statementTimeoutMillis],
      ['purgeInterval', config.purge.intervalSeconds],
      ['purgeBatchSize', config.purge.batchSize],
      ['argon2MemoryCost', config.argon2.memoryCost],
      ['argon2TimeCost', config.argon2.timeCost],
      ['argon2Parallelism', config.argon2.parallelism],
      ['throttleEnabled', config.throttle.enabled],
      ['throttleUserIpFailures', config.throttle.userIp.failures],
      ['throttleUserIpWindow', config.throttle.userIp.windowSeconds],
      ['throttleUserIpBlock', config.throttle.userIp.blockSeconds],
      ['throttleIpFailures', config.throttle.ip.failures],
      ['throttleIpWindow', config.throttle.ip.windowSeconds],
      ['throttleIpBlock', config.throttle.ip.blockSeconds],
      ['throttleUserFreeFailures', config.throttle.user.freeFailures],
      ['throttleUserWindow', config.throttle.user.windowSeconds],
      ['throttleUserBaseDelayMs', config.throttle.user.baseDelayMs],
      ['throttleUserMaxDelayMs', config.throttle.user.maxDelayMs],
      ['throttleClientIpFailures', config.throttle.clientIp.failures],
      ['throttleClientIpWindow', config.throttle.clientIp.windowSeconds],
      ['throttleClientIpBlock', config.throttle.clientIp.blockSeconds],
      ['introspectionCacheMaxAge', config.resourceServer.cacheMaxAge],
      ['upstreamTimeoutMs', config.resourceServer.upstreamTimeoutMs],
      ['maxConcurrentPerService', config.resourceServer.maxConcurrentPerService],
      ['throttleUserFailures', config.throttle.user.failures],
      ['throttleUserInFlight', config.throttle.user.inFlight],
      ['throttleUserGoodAddressDays', config.throttle.user.goodAddressDays],
      ['throttleIpv6Prefix', config.throttle.ipv6Prefix],
      ['httpHeadersTimeoutMs', config.http.headersTimeoutMs],
      ['httpRequestTimeoutMs', config.http.requestTimeoutMs],
      ['httpKeepAliveTimeoutMs', config.http.keepAliveTimeoutMs],
      ['httpMaxConnections', config.http.maxConnections],
      ['httpMaxConnectionsPerAddress', config.http.maxConnectionsPerAddress],
      ['auditMaxAgeDays', (config.auditRetention.maxAgeSeconds ?? 0) / 86_400],
      ['auditMaxRecords', config.auditRetention.maxRecords ?? 0],
    ];
    for (const [name, actual] of pairs) assert.equal(shown(name), String(actual), name);
  });
});
