import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACCOUNT_DISABLED, disabledByAccountControl } from '../../src/directory/account-control.ts';

describe('Active Directory userAccountControl', () => {
  it('ACCOUNTDISABLE is bit 0x2', () => {
    assert.equal(ACCOUNT_DISABLED, 2);
  });

  it('a disabled account has bit 0x2, whatever else is set', () => {
    assert.equal(disabledByAccountControl('514'), true, 'NORMAL_ACCOUNT | ACCOUNTDISABLE');
    assert.equal(disabledByAccountControl('66050'), true, 'plus DONT_EXPIRE_PASSWORD');
    assert.equal(disabledByAccountControl('2'), true);
    assert.equal(disabledByAccountControl(' 546 '), true, 'PASSWD_NOTREQD | ACCOUNTDISABLE | NORMAL_ACCOUNT');
  });

  it('an enabled account does not, locked-out (0x10) and password-expired flags included', () => {
    assert.equal(disabledByAccountControl('512'), false, 'NORMAL_ACCOUNT');
    assert.equal(disabledByAccountControl('66048'), false);
    assert.equal(disabledByAccountControl('528'), false, 'LOCKOUT is not ACCOUNTDISABLE');
    assert.equal(disabledByAccountControl('8389120'), false, 'PASSWORD_EXPIRED | NORMAL_ACCOUNT');
  });

  it('reads the value as Active Directory writes it: a signed 32-bit decimal', () => {
    assert.equal(disabledByAccountControl('-2147483646'), true, '0x80000002');
    assert.equal(disabledByAccountControl('-2147483136'), false, '0x80000200');
  });

  it('a missing or unreadable value is not disabled', () => {
    assert.equal(disabledByAccountControl(undefined), false);
    assert.equal(disabledByAccountControl(''), false);
    assert.equal(disabledByAccountControl('0x2'), false);
    assert.equal(disabledByAccountControl('two'), false);
  });
});
