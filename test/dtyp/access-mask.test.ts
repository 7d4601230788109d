import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACCESS_SYSTEM_SECURITY,
  DEFAULT_GENERIC_MAPPING,
  DELETE,
  DS_GENERIC_MAPPING,
  FILE_ALL_ACCESS,
  FILE_APPEND_DATA,
  FILE_EXECUTE,
  FILE_GENERIC_EXECUTE,
  FILE_GENERIC_MAPPING,
  FILE_GENERIC_READ,
  FILE_GENERIC_WRITE,
  FILE_READ_ATTRIBUTES,
  FILE_READ_DATA,
  FILE_READ_EA,
  FILE_WRITE_ATTRIBUTES,
  FILE_WRITE_DATA,
  FILE_WRITE_EA,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  KEY_GENERIC_MAPPING,
  MAXIMUM_ALLOWED,
  READ_CONTROL,
  STANDARD_RIGHTS_REQUIRED,
  SYNCHRONIZE,
  WRITE_DAC,
  WRITE_OWNER,
  isAccessMask,
  mapGenericRights,
} from '../../src/dtyp/index.js';

test('MS-DTYP 2.4.3 bit positions', () => {
  assert.deepEqual(
    [GENERIC_READ, GENERIC_WRITE, GENERIC_EXECUTE, GENERIC_ALL, MAXIMUM_ALLOWED, ACCESS_SYSTEM_SECURITY, SYNCHRONIZE, WRITE_OWNER, WRITE_DAC, READ_CONTROL, DELETE],
    [2 ** 31, 2 ** 30, 2 ** 29, 2 ** 28, 2 ** 25, 2 ** 24, 2 ** 20, 2 ** 19, 2 ** 18, 2 ** 17, 2 ** 16],
  );
  assert.equal(STANDARD_RIGHTS_REQUIRED, DELETE | READ_CONTROL | WRITE_DAC | WRITE_OWNER);
});

test('the file rights combine as winnt.h defines them', () => {
  assert.equal(FILE_GENERIC_READ, READ_CONTROL | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | SYNCHRONIZE);
  assert.equal(FILE_GENERIC_WRITE, READ_CONTROL | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | FILE_APPEND_DATA | SYNCHRONIZE);
  assert.equal(FILE_GENERIC_EXECUTE, READ_CONTROL | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE);
  assert.equal(FILE_ALL_ACCESS, STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1ff);
  // "Read & execute" as icacls/Explorer write it.
  assert.equal(FILE_GENERIC_READ | FILE_GENERIC_EXECUTE, 0x1200a9);
});

test('mapGenericRights', () => {
  const table: [number, number, number][] = [
    // [mask, mapping is FILE unless noted, expected]
    [GENERIC_READ, 0, FILE_GENERIC_READ],
    [GENERIC_WRITE, 0, FILE_GENERIC_WRITE],
    [GENERIC_EXECUTE, 0, FILE_GENERIC_EXECUTE],
    [GENERIC_ALL, 0, FILE_ALL_ACCESS],
    [(GENERIC_READ | GENERIC_EXECUTE) >>> 0, 0, 0x1200a9],
    [(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL) >>> 0, 0, FILE_ALL_ACCESS],
    [(GENERIC_READ | DELETE) >>> 0, 0, FILE_GENERIC_READ | DELETE],
    [(GENERIC_WRITE | MAXIMUM_ALLOWED | ACCESS_SYSTEM_SECURITY) >>> 0, 0, FILE_GENERIC_WRITE | MAXIMUM_ALLOWED | ACCESS_SYSTEM_SECURITY],
    [0xffffffff, 0, 0x0fffffff],
    [FILE_READ_DATA, 0, FILE_READ_DATA],
    [0, 0, 0],
    [GENERIC_READ, 1, 0x20094],
    [GENERIC_ALL, 1, 0xf01ff],
    [GENERIC_WRITE, 2, 0x20006],
    [GENERIC_ALL, 3, 0x1fffff],
    [GENERIC_READ, 3, READ_CONTROL],
  ];
  const mappings = [FILE_GENERIC_MAPPING, DS_GENERIC_MAPPING, KEY_GENERIC_MAPPING, DEFAULT_GENERIC_MAPPING];
  for (const [mask, m, want] of table) {
    const got = mapGenericRights(mask, mappings[m]);
    assert.equal(got, want, `0x${mask.toString(16)} with mapping ${m}`);
    assert.ok(got >= 0, 'unsigned');
  }
  assert.ok(Object.isFrozen(FILE_GENERIC_MAPPING));
});

test('isAccessMask', () => {
  for (const ok of [0, 1, 0xffffffff, GENERIC_READ]) assert.equal(isAccessMask(ok), true, String(ok));
  for (const bad of [-1, 2 ** 32, 1.5, NaN, '1', null]) assert.equal(isAccessMask(bad), false, String(bad));
});
