// SHA-256 (FIPS 180-4) of a short string, in plain JavaScript: chain names need tens of
// thousands of hashes of ~40-byte strings per sync, where node:crypto's per-call object
// setup costs more than the hashing. Checked against node:crypto in the tests.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const W = new Uint32Array(64);
const H = new Uint32Array(8);
const encoder = new TextEncoder();
let block = new Uint8Array(128);

/** The 32-byte digest of `text` (UTF-8), big-endian words in `out` (8 entries). */
export function sha256Words(text: string, out: Uint32Array = new Uint32Array(8)): Uint32Array {
  // ASCII strings are copied byte for byte; anything else goes through TextEncoder.
  let len = text.length;
  let bytes: Uint8Array | null = null;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 127) {
      bytes = encoder.encode(text);
      len = bytes.length;
      break;
    }
  }
  const blocks = Math.floor((len + 9 + 63) / 64);
  if (block.length < blocks * 64) block = new Uint8Array(blocks * 64);
  const buf = block;
  if (bytes) buf.set(bytes);
  else for (let i = 0; i < len; i++) buf[i] = text.charCodeAt(i);
  buf[len] = 0x80;
  buf.fill(0, len + 1, blocks * 64);
  const bitLen = len * 8;
  const end = blocks * 64;
  const hi = Math.floor(bitLen / 0x100000000);
  buf[end - 8] = hi >>> 24;
  buf[end - 7] = hi >>> 16;
  buf[end - 6] = hi >>> 8;
  buf[end - 5] = hi;
  buf[end - 4] = bitLen >>> 24;
  buf[end - 3] = bitLen >>> 16;
  buf[end - 2] = bitLen >>> 8;
  buf[end - 1] = bitLen;
  for (let i = 0; i < 8; i++) H[i] = IV[i];
  for (let b = 0; b < end; b += 64) {
    for (let i = 0; i < 16; i++) {
      const o = b + i * 4;
      W[i] = (buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3];
    }
    for (let i = 16; i < 64; i++) {
      const w15 = W[i - 15];
      const w2 = W[i - 2];
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = H[0],
      bb = H[1],
      c = H[2],
      d = H[3],
      e = H[4],
      f = H[5],
      g = H[6],
      h = H[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & bb) ^ (a & c) ^ (bb & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = bb;
      bb = a;
      a = (t1 + t2) | 0;
    }
    H[0] += a;
    H[1] += bb;
    H[2] += c;
    H[3] += d;
    H[4] += e;
    H[5] += f;
    H[6] += g;
    H[7] += h;
  }
  out.set(H);
  return out;
}

/** The 32-byte digest of `text` (UTF-8). */
export function sha256(text: string): Uint8Array {
  const w = sha256Words(text);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[i * 4] = w[i] >>> 24;
    out[i * 4 + 1] = w[i] >>> 16;
    out[i * 4 + 2] = w[i] >>> 8;
    out[i * 4 + 3] = w[i];
  }
  return out;
}
