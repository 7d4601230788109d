// Groups: creation, members, AD nesting rules, and the transitive (cycle-safe) logon groups.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN } from '../../src/directory/directory.js';
import { DOMAIN_SID, provisioned } from './fixtures/tmp.js';

test('createGroup, add/remove members, errors', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    const g = await dir.createGroup('Engineering', 'global', 'engineers');
    assert.equal(g.rid, 1100);
    assert.equal(g.sid, `${DOMAIN_SID}-1100`);
    assert.equal(g.description, 'engineers');
    const u = await dir.createUser('alice', { password: 'Secret123' });
    assert.equal(u.rid, 1101, 'groups and accounts share the RID pool');
    await dir.addMember('engineering', 'ALICE');
    assert.deepEqual((await dir.getGroup('Engineering')).members, [u.sid]);
    await assert.rejects(dir.addMember('Engineering', 'alice'), { code: 'ALREADY_EXISTS' });
    await assert.rejects(dir.addMember('Engineering', 'nobody'), { code: 'NO_SUCH_OBJECT' });
    await assert.rejects(dir.addMember('Nogroup', 'alice'), { code: 'NO_SUCH_OBJECT' });
    await dir.removeMember('Engineering', 'alice');
    await assert.rejects(dir.removeMember('Engineering', 'alice'), { code: 'NO_SUCH_OBJECT' });
    await assert.rejects(dir.createGroup('engineering'), { code: 'ALREADY_EXISTS' });
    await assert.rejects(dir.createGroup('bad/name'), { code: 'BAD_NAME' });
    assert.ok((await dir.listGroups()).some((x) => x.samAccountName === 'Engineering'));
    await dir.deleteGroup('Engineering');
    await assert.rejects(dir.getGroup('Engineering'), { code: 'NO_SUCH_OBJECT' });
    await assert.rejects(dir.deleteGroup('Domain Admins'), { code: 'CONSTRAINT' });
    await assert.rejects(dir.deleteGroup('Administrators'), { code: 'CONSTRAINT' });
  } finally {
    await cleanup();
  }
});

test('nesting rules of AD group scopes', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    await dir.createGroup('G', 'global');
    await dir.createGroup('U', 'universal');
    await dir.createGroup('L', 'domainLocal');
    await dir.createGroup('L2', 'domainLocal');
    await assert.rejects(dir.addMember('G', 'U'), { code: 'CONSTRAINT' });
    await assert.rejects(dir.addMember('G', 'L'), { code: 'CONSTRAINT' });
    await assert.rejects(dir.addMember('U', 'L'), { code: 'CONSTRAINT' });
    await assert.rejects(dir.addMember('G', 'G'), { code: 'CONSTRAINT' });
    await assert.rejects(dir.addMember('L', 'Administrators'), { code: 'CONSTRAINT' });
    await dir.addMember('U', 'G');
    await dir.addMember('L', 'U');
    await dir.addMember('L', 'G');
    await dir.addMember('L2', 'L');
    await dir.addMember('Administrators', 'L2');
  } finally {
    await cleanup();
  }
});

test('transitive membership: global/universal RIDs, domain-local RIDs, builtin SIDs; primary group first', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    const g1 = await dir.createGroup('G1', 'global');
    const g2 = await dir.createGroup('G2', 'global');
    const u1 = await dir.createGroup('U1', 'universal');
    const l1 = await dir.createGroup('L1', 'domainLocal');
    const alice = await dir.createUser('alice', { password: 'Secret123' });
    await dir.addMember('G1', 'alice');
    await dir.addMember('G2', 'G1');
    await dir.addMember('U1', 'G2');
    await dir.addMember('L1', 'U1');
    await dir.addMember('Administrators', 'L1');
    const m = await dir.membership(alice);
    assert.deepEqual(m.domainGroupRids, [513, g1.rid, g2.rid, u1.rid]);
    assert.deepEqual(m.domainLocalGroupRids, [l1.rid]);
    assert.deepEqual(m.extraSids, [BUILTIN.ADMINISTRATORS, BUILTIN.USERS]);

    // A computer: primary group Domain Computers, nothing else.
    const { account: web } = await dir.createComputer('web');
    const mw = await dir.membership(web);
    assert.deepEqual(mw.domainGroupRids, [515]);
    assert.deepEqual(mw.domainLocalGroupRids, []);
    assert.deepEqual(mw.extraSids, []);

    // A different primary group is reported first, and Domain Users is not implied.
    const bob = await dir.createUser('bob', { password: 'Secret123' });
    const mb = await dir.membership({ ...bob, primaryGroupId: g2.rid });
    assert.deepEqual(mb.domainGroupRids, [g2.rid, u1.rid]);
    assert.deepEqual(mb.domainLocalGroupRids, [l1.rid]);
  } finally {
    await cleanup();
  }
});

test('cyclic membership terminates and counts each group once', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    const a = await dir.createGroup('CycA', 'global');
    const b = await dir.createGroup('CycB', 'global');
    const c = await dir.createGroup('CycC', 'global');
    await dir.addMember('CycA', 'CycB');
    await dir.addMember('CycB', 'CycC');
    await dir.addMember('CycC', 'CycA'); // AD permits cycles
    const carol = await dir.createUser('carol', { password: 'Secret123' });
    await dir.addMember('CycB', 'carol');
    const m = await dir.membership(carol);
    assert.deepEqual(m.domainGroupRids, [513, a.rid, b.rid, c.rid]);
    const l1 = await dir.createGroup('LocA', 'domainLocal');
    const l2 = await dir.createGroup('LocB', 'domainLocal');
    await dir.addMember('LocA', 'LocB');
    await dir.addMember('LocB', 'LocA');
    await dir.addMember('LocA', 'carol');
    const m2 = await dir.membership(carol);
    assert.deepEqual(m2.domainLocalGroupRids, [l1.rid, l2.rid]);
  } finally {
    await cleanup();
  }
});
