// The `crypto` module of CloudFront Functions, in JavaScript inside V8.
// CloudFront documents createHash and createHmac with md5, sha1 and sha256, and digests
// in hex, base64 and base64url (runtime 2.0: a Buffer when no encoding is given).
// Python callbacks in mini-racer are async only, so the hashing lives here; tests check
// every digest against Python's hashlib/hmac on random inputs.
(function (root) {
  'use strict';

  function utf8(text) {
    var out = [];
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        var d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        } else c = 0xfffd;
      } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return out;
  }

  function bytesOf(data) {
    if (typeof data === 'string') return utf8(data);
    if (data instanceof Uint8Array || Array.isArray(data)) return Array.prototype.slice.call(data);
    if (data instanceof ArrayBuffer) return Array.prototype.slice.call(new Uint8Array(data));
    throw new TypeError('data must be a string or a Buffer');
  }

  function rotl(x, n) { return (x << n) | (x >>> (32 - n)); }

  // Merkle-Damgard padding; bigEndian for SHA, little-endian for MD5.
  function pad(bytes, bigEndian) {
    var m = bytes.slice(), bits = bytes.length * 8;
    m.push(0x80);
    while (m.length % 64 !== 56) m.push(0);
    var hi = Math.floor(bits / 0x100000000), lo = bits >>> 0, len = [];
    for (var i = 3; i >= 0; i--) len.push((hi >>> (i * 8)) & 255);
    for (i = 3; i >= 0; i--) len.push((lo >>> (i * 8)) & 255);
    return m.concat(bigEndian ? len : len.reverse());
  }

  function wordsBE(m, off) {
    var w = [];
    for (var i = 0; i < 16; i++) {
      var j = off + i * 4;
      w.push(((m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3]) | 0);
    }
    return w;
  }

  function outBE(h) {
    var out = [];
    for (var i = 0; i < h.length; i++) out.push((h[i] >>> 24) & 255, (h[i] >>> 16) & 255, (h[i] >>> 8) & 255, h[i] & 255);
    return out;
  }

  var K256 = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];

  // SHA-256 with the state in a typed array and locals. sha256From continues from a
  // state that has already taken `prefix` bytes (whole blocks): HMAC keeps the state
  // after its key block, so a signature costs two compressions, not four.
  var W256 = new Int32Array(64);
  var IV256 = [0x6a09e667, 0xbb67ae85 | 0, 0x3c6ef372, 0xa54ff53a | 0, 0x510e527f, 0x9b05688c | 0, 0x1f83d9ab, 0x5be0cd19];

  function compress256(h, m, off) {
    var w = W256, t, j;
    for (t = 0; t < 16; t++) {
      j = off + t * 4;
      w[t] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3];
    }
    for (t = 16; t < 64; t++) {
      var x = w[t - 15], y = w[t - 2];
      var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (t = 0; t < 64; t++) {
      var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      var t1 = (k + S1 + ((e & f) ^ (~e & g)) + K256[t] + w[t]) | 0;
      var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + k) | 0;
  }

  function sha256From(state, prefix, bytes) {
    var h = Int32Array.from(state), len = bytes.length, total = ((len + 8) >> 6 << 6) + 64;
    var m = new Uint8Array(total), bits = (prefix + len) * 8;
    m.set(bytes);
    m[len] = 0x80;
    var hi = Math.floor(bits / 0x100000000), lo = bits >>> 0;
    m[total - 8] = hi >>> 24; m[total - 7] = hi >>> 16; m[total - 6] = hi >>> 8; m[total - 5] = hi;
    m[total - 4] = lo >>> 24; m[total - 3] = lo >>> 16; m[total - 2] = lo >>> 8; m[total - 1] = lo;
    for (var off = 0; off < total; off += 64) compress256(h, m, off);
    return outBE(h);
  }

  function sha256(bytes) {
    return sha256From(IV256, 0, bytes);
  }

  // HMAC-SHA256 key blocks by key, for string keys (a function signs with one key).
  var hmacStates = new Map();
  function hmac256States(key) {
    var found = hmacStates.get(key);
    if (found) return found;
    var k = utf8(key);
    if (k.length > 64) k = sha256(k);
    var inner = Int32Array.from(IV256), outer = Int32Array.from(IV256);
    var ipad = new Uint8Array(64), opad = new Uint8Array(64);
    for (var i = 0; i < 64; i++) {
      ipad[i] = (k[i] || 0) ^ 0x36;
      opad[i] = (k[i] || 0) ^ 0x5c;
    }
    compress256(inner, ipad, 0);
    compress256(outer, opad, 0);
    found = { inner: inner, outer: outer };
    if (hmacStates.size > 64) hmacStates.clear();
    hmacStates.set(key, found);
    return found;
  }

  function sha1(bytes) {
    var m = pad(bytes, true);
    var h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
    for (var off = 0; off < m.length; off += 64) {
      var w = wordsBE(m, off);
      for (var t = 16; t < 80; t++) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
      for (t = 0; t < 80; t++) {
        var f, k;
        if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
        else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
        else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; }
        else { f = b ^ c ^ d; k = 0xca62c1d6; }
        var tmp = (rotl(a, 5) + f + e + k + w[t]) | 0;
        e = d; d = c; c = rotl(b, 30); b = a; a = tmp;
      }
      h = [(h[0] + a) | 0, (h[1] + b) | 0, (h[2] + c) | 0, (h[3] + d) | 0, (h[4] + e) | 0];
    }
    return outBE(h);
  }

  var MD5_S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  var MD5_K = [];
  for (var i = 0; i < 64; i++) MD5_K.push((Math.abs(Math.sin(i + 1)) * 0x100000000) | 0);

  function md5(bytes) {
    var m = pad(bytes, false);
    var h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    for (var off = 0; off < m.length; off += 64) {
      var w = [];
      for (var j = 0; j < 16; j++) {
        var p = off + j * 4;
        w.push(m[p] | (m[p + 1] << 8) | (m[p + 2] << 16) | (m[p + 3] << 24));
      }
      var a = h[0], b = h[1], c = h[2], d = h[3];
      for (var t = 0; t < 64; t++) {
        var f, g;
        if (t < 16) { f = (b & c) | (~b & d); g = t; }
        else if (t < 32) { f = (d & b) | (~d & c); g = (5 * t + 1) % 16; }
        else if (t < 48) { f = b ^ c ^ d; g = (3 * t + 5) % 16; }
        else { f = c ^ (b | ~d); g = (7 * t) % 16; }
        var tmp = d;
        d = c; c = b;
        b = (b + rotl((a + f + MD5_K[t] + w[g]) | 0, MD5_S[(t >> 4) * 4 + (t % 4)])) | 0;
        a = tmp;
      }
      h = [(h[0] + a) | 0, (h[1] + b) | 0, (h[2] + c) | 0, (h[3] + d) | 0];
    }
    var out = [];
    for (j = 0; j < 4; j++) out.push(h[j] & 255, (h[j] >>> 8) & 255, (h[j] >>> 16) & 255, (h[j] >>> 24) & 255);
    return out;
  }

  var ALGORITHMS = { md5: md5, sha1: sha1, sha256: sha256 };
  var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

  function base64(bytes, url) {
    var out = '';
    for (var i = 0; i < bytes.length; i += 3) {
      var n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
      out += B64.charAt((n >> 18) & 63) + B64.charAt((n >> 12) & 63);
      out += i + 1 < bytes.length ? B64.charAt((n >> 6) & 63) : '=';
      out += i + 2 < bytes.length ? B64.charAt(n & 63) : '=';
    }
    return url ? out.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : out;
  }

  function encode(bytes, encoding, runtime) {
    if (encoding === 'hex') {
      var out = '';
      for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
      return out;
    }
    if (encoding === 'base64') return base64(bytes, false);
    if (encoding === 'base64url') return base64(bytes, true);
    if (encoding === undefined) {
      // 2.0 returns a Buffer; 1.0 a byte string (String.fromCharCode per byte).
      if (runtime === 'cloudfront-js-2.0') return root.__cffuncGlobals20.Buffer.from(bytes);
      return String.fromCharCode.apply(null, bytes);
    }
    throw new TypeError('Unknown digest encoding: ' + encoding);
  }

  function algorithm(name) {
    var fn = ALGORITHMS[String(name).toLowerCase()];
    if (!fn) throw new TypeError('Unsupported hash algorithm: ' + name);
    return fn;
  }

  function Hash(fn, runtime) {
    this._fn = fn;
    this._data = [];
    this._runtime = runtime;
    this._done = false;
  }
  Hash.prototype.update = function (data) {
    if (this._done) throw new Error('Digest already called');
    var bytes = bytesOf(data);
    for (var i = 0; i < bytes.length; i++) this._data.push(bytes[i]);
    return this;
  };
  Hash.prototype._bytes = function () {
    if (this._done) throw new Error('Digest already called');
    this._done = true;
    return this._fn(this._data);
  };
  Hash.prototype.digest = function (encoding) {
    return encode(this._bytes(), encoding, this._runtime);
  };

  function Hmac(fn, key, runtime) {
    Hash.call(this, fn, runtime);
    if (fn === sha256 && typeof key === 'string') {
      this._states = hmac256States(key);
      return;
    }
    var k = bytesOf(key);
    if (k.length > 64) k = fn(k);
    while (k.length < 64) k.push(0);
    this._outer = k.map(function (b) { return b ^ 0x5c; });
    this.update(k.map(function (b) { return b ^ 0x36; }));
  }
  Hmac.prototype = Object.create(Hash.prototype);
  Hmac.prototype._bytes = function () {
    if (this._states) {
      if (this._done) throw new Error('Digest already called');
      this._done = true;
      return sha256From(this._states.outer, 64, sha256From(this._states.inner, 64, this._data));
    }
    var inner = Hash.prototype._bytes.call(this);
    return this._fn(this._outer.concat(inner));
  };

  root.__cffuncCrypto = function (runtime) {
    return {
      createHash: function (name) { return new Hash(algorithm(name), runtime); },
      createHmac: function (name, key) { return new Hmac(algorithm(name), key, runtime); },
      // exposed for the Buffer/atob shims
      _utf8: utf8,
      _base64: base64
    };
  };
})(globalThis);
