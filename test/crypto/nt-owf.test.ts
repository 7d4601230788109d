import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ntHash } from '../../src/crypto/nt-owf.js';

const CASES: [string, string][] = [
  ['password', '8846f7eaee8fb117ad06bdd830b7586c'],
  // The MS-NLMP section 4.2 examples use the password "Password".
  ['Password', 'a4f49c406510bdcab6824ee7c30fd852'],
  // The empty password's NT hash is MD4 of nothing.
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
];

for (const [pw, nt] of CASES) {
  test(`ntHash(${JSON.stringify(pw)})`, () => {
    assert.equal(ntHash(pw).toString('hex'), nt);
  });
}
