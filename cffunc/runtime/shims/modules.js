// The rest of the CloudFront Functions library, in JavaScript inside V8:
// - querystring (both runtimes): parse/decode, stringify/encode, escape, unescape, with
//   the Node.js semantics the edge's engine follows ('+' is a space, malformed escapes
//   are kept, maxKeys 1000);
// - Buffer, atob/btoa, TextEncoder/TextDecoder (cloudfront-js-2.0 only);
// - String.prototype.bytesFrom/fromBytes/fromUTF8/toBytes/toUTF8 (cloudfront-js-1.0 only).
(function (root) {
  'use strict';
  var crypto = root.__cffuncCrypto('cloudfront-js-2.0');
  var utf8 = crypto._utf8;
  var base64 = crypto._base64;

  // UTF-8 decoding as WHATWG (and Node's Buffer) does it: one U+FFFD per maximal
  // ill-formed subsequence.
  function decodeUtf8(bytes) {
    var out = '', i = 0;
    while (i < bytes.length) {
      var b = bytes[i];
      if (b < 0x80) { out += String.fromCharCode(b); i++; continue; }
      var need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
      if (!need) { out += '\ufffd'; i++; continue; }
      var lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
      var hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
      var c = b & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07), seen = 0;
      while (seen < need) {
        var next = bytes[i + 1 + seen];
        if (next === undefined || next < lo || next > hi) break;
        c = (c << 6) | (next & 0x3f);
        lo = 0x80;
        hi = 0xbf;
        seen++;
      }
      if (seen < need) { out += '\ufffd'; i += 1 + seen; continue; }
      out += String.fromCodePoint(c);
      i += 1 + need;
    }
    return out;
  }

  function fromBase64(text) {
    var clean = String(text).replace(/[\s=]+/g, '').replace(/-/g, '+').replace(/_/g, '/');
    var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    var out = [], acc = 0, bits = 0;
    for (var i = 0; i < clean.length; i++) {
      var v = B64.indexOf(clean.charAt(i));
      if (v < 0) break;
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 255); }
    }
    return out;
  }

  // ---- querystring ----
  function qsUnescape(s) {
    try {
      return decodeURIComponent(s);
    } catch (e) {
      // Malformed escapes stay as they are; valid ones are decoded as UTF-8 bytes.
      var bytes = [];
      for (var i = 0; i < s.length; i++) {
        if (s.charAt(i) === '%' && /^[0-9a-fA-F]{2}$/.test(s.substr(i + 1, 2))) {
          bytes.push(parseInt(s.substr(i + 1, 2), 16));
          i += 2;
        } else bytes.push.apply(bytes, utf8(s.charAt(i)));
      }
      return decodeUtf8(bytes);
    }
  }

  function qsEscape(s) { return encodeURIComponent(s); }

  function qsParse(str, sep, eq, options) {
    sep = sep || '&';
    eq = eq || '=';
    var out = {};
    if (typeof str !== 'string' || str.length === 0) return out;
    var maxKeys = options && typeof options.maxKeys === 'number' ? options.maxKeys : 1000;
    var decode = options && typeof options.decodeURIComponent === 'function' ? options.decodeURIComponent : qsUnescape;
    var parts = str.split(sep);
    if (maxKeys > 0 && parts.length > maxKeys) parts = parts.slice(0, maxKeys);
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].length === 0) continue;
      var idx = parts[i].indexOf(eq), k, v;
      if (idx >= 0) { k = parts[i].slice(0, idx); v = parts[i].slice(idx + eq.length); }
      else { k = parts[i]; v = ''; }
      k = decode(k.replace(/\+/g, ' '));
      v = decode(v.replace(/\+/g, ' '));
      if (!Object.prototype.hasOwnProperty.call(out, k)) out[k] = v;
      else if (Array.isArray(out[k])) out[k].push(v);
      else out[k] = [out[k], v];
    }
    return out;
  }

  function qsPrimitive(v) {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && isFinite(v)) return '' + v;
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    return '';
  }

  function qsStringify(obj, sep, eq, options) {
    sep = sep || '&';
    eq = eq || '=';
    var encode = options && typeof options.encodeURIComponent === 'function' ? options.encodeURIComponent : qsEscape;
    if (obj === null || typeof obj !== 'object') return '';
    var out = [];
    Object.keys(obj).forEach(function (k) {
      var v = obj[k], ek = encode(qsPrimitive(k));
      if (Array.isArray(v)) v.forEach(function (x) { out.push(ek + eq + encode(qsPrimitive(x))); });
      else out.push(ek + eq + encode(qsPrimitive(v)));
    });
    return out.join(sep);
  }

  root.__cffuncQuerystring = {
    parse: qsParse, decode: qsParse, stringify: qsStringify, encode: qsStringify,
    escape: qsEscape, unescape: qsUnescape
  };

  // ---- Buffer (2.0) ----
  class Buffer extends Uint8Array {
    static from(value, encoding) {
      if (typeof value === 'string') {
        var enc = (encoding || 'utf8').toLowerCase();
        var bytes;
        if (enc === 'utf8' || enc === 'utf-8') bytes = utf8(value);
        else if (enc === 'hex') {
          bytes = [];
          for (var i = 0; i + 1 < value.length; i += 2) {
            var b = parseInt(value.substr(i, 2), 16);
            if (isNaN(b)) break;
            bytes.push(b);
          }
        } else if (enc === 'base64' || enc === 'base64url') bytes = fromBase64(value);
        else if (enc === 'latin1' || enc === 'binary' || enc === 'ascii') {
          bytes = [];
          for (var j = 0; j < value.length; j++) bytes.push(value.charCodeAt(j) & 255);
        } else throw new TypeError('Unknown encoding: ' + encoding);
        return Buffer._of(bytes);
      }
      if (value instanceof ArrayBuffer) return Buffer._of(new Uint8Array(value));
      if (value && typeof value.length === 'number') return Buffer._of(value);
      throw new TypeError('The first argument must be a string, Buffer, ArrayBuffer or array');
    }
    static _of(bytes) {
      var buf = new Buffer(bytes.length);
      for (var i = 0; i < bytes.length; i++) buf[i] = bytes[i];
      return buf;
    }
    static alloc(size, fill) {
      var buf = new Buffer(size);
      if (fill !== undefined) buf.fill(typeof fill === 'number' ? fill : Buffer.from(String(fill))[0]);
      return buf;
    }
    static isBuffer(x) { return x instanceof Buffer; }
    static byteLength(x, encoding) {
      return typeof x === 'string' ? Buffer.from(x, encoding).length : x.byteLength;
    }
    static concat(list, total) {
      var bytes = [];
      list.forEach(function (b) { for (var i = 0; i < b.length; i++) bytes.push(b[i]); });
      if (total !== undefined) bytes = bytes.slice(0, total);
      return Buffer._of(bytes);
    }
    toString(encoding, start, end) {
      var bytes = Array.prototype.slice.call(this, start || 0, end === undefined ? this.length : end);
      var enc = (encoding || 'utf8').toLowerCase();
      if (enc === 'utf8' || enc === 'utf-8') return decodeUtf8(bytes);
      if (enc === 'hex') return bytes.map(function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
      if (enc === 'base64') return base64(bytes, false);
      if (enc === 'base64url') return base64(bytes, true);
      if (enc === 'latin1' || enc === 'binary' || enc === 'ascii') return String.fromCharCode.apply(null, bytes);
      throw new TypeError('Unknown encoding: ' + encoding);
    }
    equals(other) {
      if (this.length !== other.length) return false;
      for (var i = 0; i < this.length; i++) if (this[i] !== other[i]) return false;
      return true;
    }
    toJSON() { return { type: 'Buffer', data: Array.prototype.slice.call(this) }; }
  }

  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(text) { return new Uint8Array(utf8(String(text === undefined ? '' : text))); }
  }
  class TextDecoder {
    get encoding() { return 'utf-8'; }
    decode(bytes) { return bytes === undefined ? '' : decodeUtf8(Array.prototype.slice.call(new Uint8Array(bytes.buffer || bytes))); }
  }

  function btoa(text) {
    text = String(text);
    var bytes = [];
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (c > 255) throw new Error('btoa: the string has characters outside Latin-1');
      bytes.push(c);
    }
    return base64(bytes, false);
  }
  function atob(text) {
    return String.fromCharCode.apply(null, fromBase64(text));
  }

  root.__cffuncGlobals20 = { Buffer: Buffer, atob: atob, btoa: btoa, TextEncoder: TextEncoder, TextDecoder: TextDecoder };

  // ---- 1.0's non-standard string methods (byte strings: one char per byte) ----
  root.__cffuncInstallByteStrings = function () {
    var defs = {
      toUTF8: function () { return String.fromCharCode.apply(null, utf8(String(this))); },
      fromUTF8: function () {
        var s = String(this), bytes = [];
        for (var i = 0; i < s.length; i++) bytes.push(s.charCodeAt(i) & 255);
        return decodeUtf8(bytes);
      },
      toBytes: function () {
        var s = String(this);
        for (var i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return null;
        return s;
      },
      fromBytes: function (start, end) { return String(this).slice(start || 0, end); }
    };
    Object.keys(defs).forEach(function (name) {
      Object.defineProperty(String.prototype, name, { value: defs[name], writable: true, configurable: true });
    });
    Object.defineProperty(String, 'bytesFrom', {
      value: function (data, encoding) {
        if (encoding === 'hex') return String.fromCharCode.apply(null, Buffer.from(String(data), 'hex'));
        if (encoding === 'base64' || encoding === 'base64url') return String.fromCharCode.apply(null, fromBase64(data));
        return String.fromCharCode.apply(null, Array.prototype.map.call(data, function (b) { return b & 255; }));
      },
      writable: true,
      configurable: true
    });
  };
})(globalThis);
