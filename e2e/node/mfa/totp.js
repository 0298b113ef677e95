'use strict';

// RFC 6238 codes for the tests (the authenticator app's side): HMAC-SHA1,
// 6 digits, 30-second steps, from a base32 secret.
const crypto = require('node:crypto');

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '').toUpperCase()) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totp(secretB32, offsetSteps = 0, now = Date.now()) {
  const step = Math.floor(now / 1000 / 30) + offsetSteps;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secretB32)).update(msg).digest();
  const off = mac[mac.length - 1] & 0xf;
  const bin = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
  return String(bin).padStart(6, '0');
}

module.exports = { totp };
