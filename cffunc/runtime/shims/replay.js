// Replay CloudFront access log lines through the function inside V8: split, decode,
// build the viewer-request event, invoke, classify and count, all without crossing back
// into Python per line. (cffunc/replay/run.py reads the files in blocks of bytes, writes
// each into this context's buffer, and reads the counts once at the end.)
//
// A line is read as bytes, where it lies in the buffer: a line whose decision is known
// costs no string at all. The function is run once per distinct *reading*: the bytes of
// the fields it reads (cffunc/function/reads.py derives which from the rules that render
// it) and, for the viewer address, the allowlist cell it falls in (the networks holding
// it). Lines that agree on all of it are the same input to the function, so its answer
// is reused for them; without `reads` (foreign code) or `reuse` (--no-reuse) every line
// runs.
(function (root) {
  'use strict';

  // ---- the block's bytes ----
  // The host writes each block into this buffer's memory (mini-racer hands an
  // ArrayBuffer to Python as a memoryview of that same memory), so the log is never
  // turned into a string to cross over.
  var buf = new Uint8Array(0), words = new Uint32Array(0);
  root.__cffuncReplayBuffer = function (size) {
    buf = new Uint8Array(Math.ceil(size / 8) * 8);  // whole words (and doubles, for merges)
    words = new Uint32Array(buf.buffer);
    return buf.buffer;
  };
  root.__cffuncReplayProbe = function (length) {
    var sum = 0;
    for (var i = 0; i < length; i++) sum = (sum * 31 + buf[i]) % 1000000007;
    return sum;
  };

  // Bytes a..b as text: ASCII as it is, UTF-8 decoded with U+FFFD for what is not
  // (maximal subparts, as Python's errors="replace" does).
  function text(a, b) {
    var i, out = '', c;
    for (i = a; i < b && buf[i] < 128; i++);
    if (i === b) {
      for (i = a; i < b; i += 4096) out += String.fromCharCode.apply(null, buf.subarray(i, Math.min(b, i + 4096)));
      return out;
    }
    var codes = [], need = 0, cp = 0, lower = 0x80, upper = 0xbf;
    function emit(code) {
      if (code > 0xffff) {
        code -= 0x10000;
        codes.push(0xd800 + (code >> 10), 0xdc00 + (code & 0x3ff));
      } else codes.push(code);
      if (codes.length >= 4096) {
        out += String.fromCharCode.apply(null, codes);
        codes = [];
      }
    }
    for (i = a; i < b; i++) {
      c = buf[i];
      if (need === 0) {
        if (c < 0x80) emit(c);
        else if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) {
          if (c === 0xe0) lower = 0xa0;
          if (c === 0xed) upper = 0x9f;
          need = 2; cp = c & 0xf;
        } else if (c >= 0xf0 && c <= 0xf4) {
          if (c === 0xf0) lower = 0x90;
          if (c === 0xf4) upper = 0x8f;
          need = 3; cp = c & 0x7;
        } else emit(0xfffd);
        continue;
      }
      if (c < lower || c > upper) {
        need = 0; lower = 0x80; upper = 0xbf;
        emit(0xfffd);
        i--;  // the byte starts afresh
        continue;
      }
      lower = 0x80; upper = 0xbf;
      cp = (cp << 6) | (c & 0x3f);
      if (--need === 0) emit(cp);
    }
    if (need) emit(0xfffd);
    return out + String.fromCharCode.apply(null, codes);
  }
  root.__cffuncReplayText = function (length) { return text(0, length); };

  // ---- values as CloudFront logs them ----
  // Percent-encoded once (space as %20, % as %25; the documentation's own example line
  // logs `Mozilla/5.0%20(Windows%20NT%2010.0;...`), `-` for empty. Values repeat (user
  // agents, paths): the decoded text of the last few thousand is kept.
  var decoded = new Map();
  function decode(value) {
    if (value === '-' || value === undefined) return '';
    if (value.indexOf('%') < 0) return value;
    var hit = decoded.get(value);
    if (hit !== undefined) return hit;
    var out;
    try {
      out = decodeURIComponent(value);
    } catch (e) {
      // Not UTF-8 once decoded: the ASCII escapes are undone, the others kept as logged.
      out = value.replace(/%([0-9a-fA-F]{2})/g, function (m, h) {
        var c = parseInt(h, 16);
        return c < 128 ? String.fromCharCode(c) : m;
      });
    }
    if (decoded.size >= 4096) decoded.clear();
    decoded.set(value, out);
    return out;
  }

  function field(map, name, value) {
    if (Object.prototype.hasOwnProperty.call(map, name)) {
      var entry = map[name];
      if (!entry.multiValue) entry.multiValue = [{ value: entry.value }];
      entry.multiValue.push({ value: value });
    } else map[name] = { value: value };
  }

  function query(value) {
    var out = {};
    if (!value) return out;
    var parts = value.split('&');
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) continue;
      var eq = parts[i].indexOf('=');
      if (eq < 0) field(out, parts[i], '');
      else field(out, parts[i].slice(0, eq), parts[i].slice(eq + 1));
    }
    return out;
  }

  function cookies(value) {
    var out = {};
    if (!value) return out;
    var parts = value.split(';');
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim(), eq = part.indexOf('=');
      if (eq > 0) field(out, part.slice(0, eq), part.slice(eq + 1));
    }
    return out;
  }

  // ---- addresses, from bytes ----
  // Dotted decimal, four parts of 0-255 without leading zeros (as Python's ipaddress and
  // the function's own parser accept), as a number; -1 if not.
  function parse4(a, b) {
    var value = 0, part = 0, digits = 0, dots = 0, c;
    for (var i = a; i < b; i++) {
      c = buf[i];
      if (c === 46) {
        if (!digits || dots === 3) return -1;
        value = value * 256 + part;
        part = digits = 0;
        dots++;
      } else if (c >= 48 && c <= 57 && !(digits === 1 && part === 0) && digits < 3) {
        part = part * 10 + c - 48;
        digits++;
        if (part > 255) return -1;
      } else return -1;
    }
    return dots === 3 && digits ? value * 256 + part : -1;
  }
  // An IPv6 address (a dotted IPv4 tail included) into groups6; false if it is not one.
  var groups6 = new Int32Array(8), head6 = new Int32Array(8), tail6 = new Int32Array(8);
  function parse6(a, b) {
    var gap = -1, i, j, n = 0, t = 0, v, start = a, c, digits, v4 = -1, groups = head6;
    if (b - a < 2) return false;
    if (buf[a] === 58) {  // a leading ':' must be '::'
      if (buf[a + 1] !== 58) return false;
      gap = 0;
      start = a + 2;
      groups = tail6;
      if (start === b) {
        for (i = 0; i < 8; i++) groups6[i] = 0;
        return true;
      }
    }
    for (i = start; i <= b; i++) {
      // one group: hex digits up to ':' or the end, or a dotted IPv4 tail
      v = 0;
      digits = 0;
      for (j = i; j < b && (c = buf[j]) !== 58; j++) {
        if (c === 46) {
          v4 = parse4(i, b);
          if (v4 < 0) return false;
          j = b;
          break;
        }
        if (c >= 48 && c <= 57) v = v * 16 + c - 48;
        else if ((c | 32) >= 97 && (c | 32) <= 102) v = v * 16 + (c | 32) - 87;
        else return false;
        if (++digits > 4) return false;
      }
      if (v4 >= 0) break;
      if (!digits) return false;
      if (groups === head6) head6[n++] = v;
      else tail6[t++] = v;
      if (n + t > 8) return false;
      if (j >= b) break;
      // j is at ':'; '::' is the gap
      if (j + 1 < b && buf[j + 1] === 58) {
        if (gap >= 0) return false;
        gap = n;
        groups = tail6;
        i = j + 1;
        if (i + 1 === b) break;  // '::' at the end
      } else {
        if (j + 1 === b) return false;  // a trailing single ':'
        i = j;
      }
    }
    var total = n + t + (v4 >= 0 ? 2 : 0);
    if (gap < 0 ? total !== 8 : total > 7) return false;
    for (i = 0; i < n; i++) groups6[i] = head6[i];
    if (gap >= 0) for (; i < 8 - t - (v4 >= 0 ? 2 : 0); i++) groups6[i] = 0;
    for (j = 0; j < t; j++) groups6[i++] = tail6[j];
    if (v4 >= 0) {
      groups6[i++] = Math.floor(v4 / 65536);
      groups6[i++] = v4 % 65536;
    }
    return true;
  }

  // ---- the allowlist's cells ----
  // The address space cut at every allowlisted network's ends (cffunc/replay/run.py,
  // cell_table): range i starts at starts[i] (IPv6: eight 16-bit groups); cells[i] is the
  // innermost network holding it (-1: none), which says which networks hold every address
  // of the range; labels[i] the rule that names a pass there (null: the host names it).
  var cells = null;
  function range4(value) {
    var s = cells.starts4, lo = 0, hi = s.length - 1, mid;
    while (lo < hi) {
      mid = (lo + hi + 1) >> 1;
      if (s[mid] <= value) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  function before6(s, k) {  // starts6[k] <= the address in groups6
    for (var g = 0; g < 8; g++) {
      var x = s[k * 8 + g];
      if (x !== groups6[g]) return x < groups6[g];
    }
    return true;
  }
  function range6() {
    var s = cells.starts6, lo = 0, hi = s.length / 8 - 1, mid;
    while (lo < hi) {
      mid = (lo + hi + 1) >> 1;
      if (before6(s, mid)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  // ---- client networks ----
  // A /24 as a number below 2^24, a /48 as 2^24 plus its 48 bits; where the allowlist has
  // networks finer than that, the /24 or /48 is split along them, and the cell table says
  // which network an address of range r is counted under (cells.nets4/6, from
  // cffunc/replay/run.py, NetworkGrouping); what is not an address, as it is.
  var V6 = 16777216;
  function network4(value, r) {
    var named = cells.nets4[r];
    return named === null ? Math.floor(value / 256) : named;
  }
  function network6(r) {
    var named = cells.nets6[r];
    return named === null ? V6 + (groups6[0] * 65536 + groups6[1]) * 65536 + groups6[2] : named;
  }
  // A key as the host reports it: a /24 in dotted form, a /48 in RFC 5952 form (the
  // longest run of zero groups shortened, as Python's ipaddress writes it).
  function networkText(key) {
    if (typeof key !== 'number') return key;
    if (key < V6) return (key >>> 16) + '.' + ((key >>> 8) & 255) + '.' + (key & 255) + '.0/24';
    var x = key - V6, g = [Math.floor(x / 4294967296), Math.floor(x / 65536) % 65536, x % 65536, 0, 0, 0, 0, 0];
    var bestAt = -1, bestLength = 0, at = -1, i;
    for (i = 0; i <= 8; i++) {
      if (i < 8 && g[i] === 0) {
        if (at < 0) at = i;
        continue;
      }
      if (at >= 0 && i - at > bestLength) {
        bestAt = at;
        bestLength = i - at;
      }
      at = -1;
    }
    var hex = g.map(function (v) { return v.toString(16); });
    return hex.slice(0, bestAt).join(':') + '::' + hex.slice(bestAt + bestLength).join(':') + '/48';
  }

  // ---- counts ----
  // The counts of a whole replay live here, across blocks and files; the host reads them
  // once at the end (__cffuncReplayTally). A map that reaches `keep` keys is handed to
  // the host with the block that filled it and starts again empty: the host adds its
  // counts up on disk (cffunc/replay/run.py, Spill), so memory stays flat whatever the log
  // and every count stays exact.
  var tally = null, keep = 50000, full = [];
  var CLASSES = ['pass', 'maintenance', 'redirect', 'error'];
  var KINDS = ['paths', 'networks', 'forwarded', 'tenants'];
  // A list of counts by key: text keys in a Map, number keys (client networks, one per
  // line or so) in a table of their own, open addressing over two arrays of doubles (a
  // lookup touches one slot, where a Map goes through its buckets and entries).
  function Counts(kind, cls) {
    this.kind = kind;
    this.cls = cls;
    this.texts = new Map();
    this.clear();
  }
  Counts.prototype.clear = function () {
    this.texts.clear();
    // key, count, key, count...; a list emptied after a hand-over keeps its room
    if (this.slots === undefined) this.slots = new Float64Array(2048);
    this.slots.fill(-1);
    this.numbers = 0;
    this.size = 0;
  };
  Counts.prototype.forEach = function (each) {
    var slots = this.slots;
    for (var i = 0; i < slots.length; i += 2) if (slots[i] >= 0) each(slots[i + 1], slots[i]);
    this.texts.forEach(each);
  };
  function slotOf(slots, key) {
    var mask = (slots.length >> 1) - 1, lo = key % 4294967296, hi = (key - lo) / 4294967296;
    var i = (Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> 0) & mask, k;
    while ((k = slots[i * 2]) >= 0 && k !== key) i = (i + 1) & mask;
    return i * 2;
  }
  function bump(counts, key, n) {
    var slots, at;
    if (typeof key === 'number') {
      slots = counts.slots;
      at = slotOf(slots, key);
      if (slots[at] === key) {
        slots[at + 1] += n;
        return;
      }
      slots[at] = key;
      slots[at + 1] = n;
      if (++counts.numbers * 4 > slots.length) widen(counts);
    } else {
      var have = counts.texts.get(key);
      if (have !== undefined) {
        counts.texts.set(key, have + n);
        return;
      }
      counts.texts.set(key, n);
    }
    if (++counts.size === keep) full.push(counts);
  }
  function widen(counts) {  // twice the slots, at most half of them full
    var old = counts.slots, slots = new Float64Array(old.length * 2).fill(-1), i, at;
    for (i = 0; i < old.length; i += 2) {
      if (old[i] < 0) continue;
      at = slotOf(slots, old[i]);
      slots[at] = old[i];
      slots[at + 1] = old[i + 1];
    }
    counts.slots = slots;
  }
  function pairs(counts) {
    var out = [];
    counts.forEach(function (n, key) { out.push([networkText(key), n]); });
    return out;
  }
  // A handed-over list: its text keys as 64 JSON texts of [key, count] pairs ('' for
  // none), a key's partition its FNV-1a hash; its number keys (client networks) as
  // [key, count] pairs of doubles, partition by partition (a key's partition: the key
  // mod 64), which the host reads from `handed` by index (__cffuncReplayHanded), with the
  // offsets of the partitions. The host only appends each part to its partition's file.
  // No text key is ever the text of a number key (see textKey), so the two kinds of
  // partition never split one key.
  var PARTS = 64, handed = [];
  function partOf(value) {
    var h = 0x811c9dc5;
    for (var i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
    return (h >>> 0) % PARTS;
  }
  function handOver(map) {  // a Counts
    var parts = [], sizes = new Int32Array(PARTS), i;
    for (i = 0; i < PARTS; i++) parts.push([]);
    map.forEach(function (n, key) {
      if (typeof key === 'number') sizes[key % PARTS] += 2;
      else parts[partOf(key)].push([key, n]);
    });
    var offsets = [0];
    for (i = 0; i < PARTS; i++) offsets.push(offsets[i] + sizes[i]);
    var at = offsets.slice(0, PARTS), data = new Float64Array(offsets[PARTS]);
    map.forEach(function (n, key) {
      if (typeof key !== 'number') return;
      var p = key % PARTS;
      data[at[p]++] = key;
      data[at[p]++] = n;
    });
    map.clear();
    handed.push(data);
    return { text: parts.map(function (p) { return p.length ? JSON.stringify(p) : ''; }), binary: handed.length - 1, offsets: offsets };
  }
  root.__cffuncReplayHanded = function (index) { return handed[index].buffer; };
  // [kind, class, hand-over] of every map that filled up, now emptied.
  function spill() {
    handed = [];
    var out = full.map(function (map) { return [map.kind, map.cls, handOver(map)]; });
    full = [];
    return out;
  }
  // A client network counted by its text (what is not an address) under the number key
  // that text is the text of, if any: a text key is never the text of a number key.
  var scratch = new Uint8Array(64);
  function textKey(value) {
    var tail = value.slice(-3), v, saved, key = value;
    if (value.length > 60 || (tail !== '/24' && tail !== '/48')) return value;
    for (var i = 0; i < value.length - 3; i++) scratch[i] = value.charCodeAt(i) & 255;
    saved = buf;
    buf = scratch;
    try {
      if (tail === '/24' && (v = parse4(0, value.length - 3)) >= 0) key = network4(v, range4(v));
      else if (tail === '/48' && parse6(0, value.length - 3)) key = network6(range6());
    } finally {
      buf = saved;
    }
    return typeof key === 'number' && networkText(key) === value ? key : value;
  }

  // ---- requests over time ----
  // Five minutes as a number, YYYYMMDDHHMM, from the date and time fields (or a
  // real-time log's epoch `timestamp`); null when they do not say.
  function digit(i) {
    var c = buf[i];
    return c >= 48 && c <= 57 ? c - 48 : -1;
  }
  function number2(i) {
    var x = digit(i), y = digit(i + 1);
    return x < 0 || y < 0 ? -1 : x * 10 + y;
  }
  function fiveMinutes(d, t) {  // d: the date field's start (10 bytes), t: the time's
    var y = number2(d) * 100 + number2(d + 2), m = number2(d + 5), day = number2(d + 8);
    var h = number2(t), min = number2(t + 3);
    if (number2(d) < 0 || number2(d + 2) < 0 || m < 0 || day < 0 || buf[d + 4] !== 45 || buf[d + 7] !== 45) return null;
    if (h < 0 || min < 0 || buf[t + 2] !== 58) return null;
    return (((y * 100 + m) * 100 + day) * 100 + h) * 100 + Math.floor(min / 5) * 5;
  }
  function fromEpoch(a, b) {
    var seconds = +text(a, b);
    if (b === a || !isFinite(seconds) || seconds < 0 || seconds >= 253402300800) return null;
    var moment = new Date(Math.floor(seconds) * 1000);
    return ((((moment.getUTCFullYear() * 100 + moment.getUTCMonth() + 1) * 100 + moment.getUTCDate()) * 100 +
      moment.getUTCHours()) * 100 + Math.floor(moment.getUTCMinutes() / 5) * 5);
  }
  function pad(v, n) {
    var s = String(v);
    while (s.length < n) s = '0' + s;
    return s;
  }
  function whenText(k) {
    return pad(Math.floor(k / 1e8), 4) + '-' + pad(Math.floor(k / 1e6) % 100, 2) + '-' + pad(Math.floor(k / 1e4) % 100, 2) +
      'T' + pad(Math.floor(k / 100) % 100, 2) + ':' + pad(k % 100, 2);
  }

  // ---- scopes ----
  // Which scope a maintenance line fell in, for the counts per scope: the table
  // (cffunc/replay/run.py, scope_table) lists the scopes in the function's order, with the
  // matching of cffunc/function/scopes.py: the Host in canonical form (the table's regex),
  // lower case, without port or trailing dot, *. wildcards; a Host not in canonical form
  // inside every host scope, a URI not in the safe form inside every path scope.
  var scopes = null;
  function compileScopes(t) {
    function one(s) {
      return s === null ? null : { label: s.label, hosts: s.hosts, tenants: s.tenants, writes: s.writes, paths: s.paths === null ? null : new RegExp(s.paths) };
    }
    var exact = new Map(), tenants = new Map();
    Object.keys(t.exact).forEach(function (h) { exact.set(h, one(t.exact[h])); });
    Object.keys(t.tenants).forEach(function (id) { tenants.set(id, one(t.tenants[id])); });
    return {
      list: t.list.map(one), exact: exact, unreadable: one(t.unreadable), tenants: tenants,
      safe: new RegExp(t.safe[0], t.safe[1]), host: new RegExp(t.host[0], t.host[1])
    };
  }
  function hostOf(h) {
    var m = scopes.host.exec(h);
    return m ? m[1].toLowerCase() : null;
  }
  function hostMatch(p, h) {
    return p.charAt(0) === '*' ? h.length > p.length - 1 && h.substring(h.length - p.length + 1) === p.substring(1) : p === h;
  }
  // t: the tenant's id, null for a standard distribution's request (in no tenant scope).
  function covers(s, method, uri, h, t) {
    if (s.writes && (method === 'GET' || method === 'HEAD' || method === 'OPTIONS')) return false;
    if (s.hosts && h !== null && !s.hosts.some(function (p) { return hostMatch(p, h); })) return false;
    if (s.tenants && (t === null || s.tenants.indexOf(t) < 0)) return false;
    return !s.paths || !scopes.safe.test(uri) || s.paths.test(uri);
  }
  function scopeOf(method, uri, header, t) {
    var h = hostOf(header), i, s;
    for (i = 0; i < scopes.list.length; i++) if (covers(scopes.list[i], method, uri, h, t)) return scopes.list[i].label;
    s = h === null ? scopes.unreadable : scopes.exact.get(h);
    if (s && covers(s, method, uri, h, t)) return s.label;
    s = t === null ? undefined : scopes.tenants.get(t);
    return s && covers(s, method, uri, h, t) ? s.label : 'no scope (the function and the table disagree)';
  }

  // ---- which rule let a pass through ----
  // Named here for the commonest case (an address in the allowlist; the labels are the
  // Python model's, see cffunc/replay/run.py, Attribution.for_v8); null sends the line to
  // the host, which names it with the decision model, false too but says the address is
  // in none of the ranges (only the URI can have let it through). A line that may
  // involve the bypass always goes there.
  var passRules = null;
  function ruleHere(label, method, uri, cookie) {
    var r = passRules;
    if (r === null) return null;
    if (r.cookie !== null && (cookie.indexOf(r.cookie) >= 0 || (method === 'GET' && uri === r.path))) return null;
    if (label === undefined) return null;  // not an address
    return label === null ? false : label;
  }

  // ---- what the function reads ----
  var reads = null, reuse = false, cookieName = null, tokenPath = null;
  function bytesOf(value) {  // UTF-8
    var out = [], i, c;
    for (i = 0; i < value.length; i++) {
      c = value.charCodeAt(i);
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  }
  function holds(a, b, needle) {  // the bytes a..b hold these bytes
    var n = needle.length, i, j;
    for (i = a; i + n <= b; i++) {
      for (j = 0; j < n && buf[i + j] === needle[j]; j++);
      if (j === n) return true;
    }
    return false;
  }
  function same(a, b, bytes) {
    if (b - a !== bytes.length) return false;
    for (var i = 0; i < bytes.length; i++) if (buf[a + i] !== bytes[i]) return false;
    return true;
  }
  function percent(a, b) {
    for (var i = a; i < b; i++) if (buf[i] === 37) return true;
    return false;
  }

  // The reading of a line, written into `key` (each part as its length and bytes, so
  // parts cannot run into each other), and its FNV-1a hash.
  var key = new Uint8Array(1024), keyLength = 0, hash = 0;
  function room(n) {
    if (keyLength + n <= key.length) return;
    var bigger = new Uint8Array((keyLength + n) * 2);
    bigger.set(key);
    key = bigger;
  }
  // The hash (FNV-1a) is kept as the key is written.
  function put(byte) {
    room(1);
    key[keyLength++] = byte;
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  function putNumber(v) {
    put(v & 255);
    put((v >>> 8) & 255);
    put((v >>> 16) & 255);
    put(v >>> 24);
  }
  function putBytes(a, b) {  // the length (one byte below 255, else 255 and four), the bytes
    var n = b - a, k, h, c;
    room(n + 5);
    if (n < 255) put(n);
    else {
      put(255);
      putNumber(n);
    }
    for (k = keyLength, h = hash; a < b; a++) {
      c = buf[a];
      key[k++] = c;
      h = Math.imul(h ^ c, 0x01000193);
    }
    keyLength = k;
    hash = h;
  }
  function putField(k) {  // field k of the current line, or a marker for none
    if (k < 0) {
      put(0);
      return;
    }
    put(1);
    putBytes(starts[k], ends[k]);
  }

  // Decisions known, by reading: entries in a list, found through a table of their
  // places (open addressing on the hash; 0 is an empty slot, i + 1 entry i).
  var KNOWN_LIMIT = 100000, entries = [], places = new Int32Array(1 << 18), mask = places.length - 1;
  function forget() {
    entries = [];
    places.fill(0);
  }
  function lookup() {
    var at = hash & mask, i, e, k;
    while ((i = places[at]) !== 0) {
      e = entries[i - 1];
      if (e.hash === hash && e.key.length === keyLength) {
        for (k = 0; k < keyLength && e.key[k] === key[k]; k++);
        if (k === keyLength) return e;
      }
      at = (at + 1) & mask;
    }
    return undefined;
  }
  function remember(e) {
    var at = hash & mask;
    e.key = key.slice(0, keyLength);
    e.hash = hash;
    while (places[at] !== 0) at = (at + 1) & mask;
    entries.push(e);
    places[at] = entries.length;
  }

  // ---- a replay ----
  var endpoint = '';
  root.__cffuncReplayStart = function (limit, budget, scopeTable, attribution, cellTable, reading, reusing, domain) {
    endpoint = domain || '';
    passRules = attribution || null;
    cells = cellTable || {
      starts4: [0], cells4: [-1], nets4: [null], labels4: [null],
      starts6: [0, 0, 0, 0, 0, 0, 0, 0], cells6: [-1], nets6: [null], labels6: [null]
    };
    reads = reading || null;
    reuse = reads !== null && reusing === true;
    cookieName = reads && reads.cookie !== null ? bytesOf(reads.cookie) : null;
    tokenPath = reads && reads.tokenPath !== null ? bytesOf(reads.tokenPath) : null;
    forget();
    keep = limit;
    // budget: data lines left under --limit, for the whole replay; once it is spent (or
    // a #Fields line lacks what replay needs) every later block returns at once.
    full = [];
    tally = {
      scopes: new Counts('scopes', ''), times: new Map(), budget: budget, done: false,
      grpc: [0, 0, 0, 0], closed: [0, 0, 0, 0], proxied: [0, 0, 0, 0], unreadableForwarded: 0, extra: 0,
      classes: new Float64Array(4)
    };
    KINDS.forEach(function (kind) {
      tally[kind] = {};
      CLASSES.forEach(function (c) { tally[kind][c] = new Counts(kind, c); });
    });
    scopes = scopeTable ? compileScopes(JSON.parse(scopeTable)) : null;
  };

  // One partition of a handed-over list added up: value is its text keys' files (a JSON
  // array of [key, count] pairs a line), the buffer's first `numbers` bytes its number
  // keys' ([key, count] doubles); best (JSON), the `kept` most frequent keys of the partitions
  // added up before (ties in key order). Out: the `kept` most frequent of both. A key
  // lies in one partition only, so the best of the partitions' best are the best.
  function ranked(a, b) {
    return b[1] - a[1] || textOrder(a[0], b[0]);
  }
  // Texts in code point order, as Python orders them (UTF-16 units order differently only
  // where a surrogate meets a unit from U+E000 up: those are shifted past each other).
  function textOrder(a, b) {
    var n = Math.min(a.length, b.length), x, y;
    for (var i = 0; i < n; i++) {
      x = a.charCodeAt(i);
      y = b.charCodeAt(i);
      if (x === y) continue;
      if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      return x - y;
    }
    return a.length - b.length;
  }
  root.__cffuncReplayMerge = function (value, numbers, best, kept) {
    var counts = new Map(), data = new Float64Array(buf.buffer, 0, numbers / 8), i;
    value.split('\n').forEach(function (line) {
      if (!line) return;
      JSON.parse(line).forEach(function (pair) {
        counts.set(pair[0], (counts.get(pair[0]) || 0) + pair[1]);
      });
    });
    for (i = 0; i < data.length; i += 2) counts.set(data[i], (counts.get(data[i]) || 0) + data[i + 1]);
    // Only a key that beats the kept-th best so far can make the list; a tie on the count
    // is settled by the key's text, made only then.
    best = JSON.parse(best);
    var last = best.length === kept ? best[kept - 1] : null, out = best.slice();
    counts.forEach(function (n, k) {
      if (last !== null && n < last[1]) return;
      var name = networkText(k);
      if (last !== null && n === last[1] && textOrder(name, last[0]) >= 0) return;
      out.push([name, n]);
    });
    out.sort(ranked);
    return JSON.stringify(out.slice(0, kept));
  };

  // spilled: the lists ("kind class") some worker handed over: the rest of them is
  // handed over too (out.spill), so the host adds those up from its files alone.
  root.__cffuncReplayTally = function (spilled) {
    var counts = {};
    CLASSES.forEach(function (c, i) { counts[c] = tally.classes[i]; });
    var out = {
      counts: counts, scopes: [], times: [], spill: [], grpc: tally.grpc, closed: tally.closed,
      proxied: tally.proxied, unreadableForwarded: tally.unreadableForwarded, extra: tally.extra
    };
    var names = new Set(spilled || []);
    handed = [];
    function report(map) {
      if (!names.has(map.kind + ' ' + map.cls)) return pairs(map);
      out.spill.push([map.kind, map.cls, handOver(map)]);
      return [];
    }
    out.scopes = report(tally.scopes);
    tally.times.forEach(function (counts, when) { out.times.push([whenText(when), Array.prototype.slice.call(counts)]); });
    KINDS.forEach(function (kind) {
      out[kind] = {};
      CLASSES.forEach(function (c) { out[kind][c] = report(tally[kind][c]); });
    });
    return JSON.stringify(out);
  };

  function classify(uri, result) {
    if (result.error !== null) return 3;
    var out = result.output;
    if (out && typeof out === 'object' && 'statusCode' in out) {
      return out.statusCode >= 300 && out.statusCode < 400 ? 2 : 1;
    }
    if (!out || typeof out !== 'object') return 3;
    return out.uri !== uri ? 1 : 0;
  }

  // ---- the current file ----
  // Per-file state, kept across blocks: the #Fields map, lines read, data lines seen.
  var file = null;
  var REQUIRED = ['c-ip', 'cs-method', 'cs-uri-stem'];
  // When the function reads the tenant (tenant scopes), replay must know it: the log
  // must name distribution-tenant-id (standard-logs-reference.html, field 34).
  var TENANT = 'distribution-tenant-id';
  // Real-time logs (real-time-logs.html) name some fields apart, and three of them mean
  // something else: cs-host is the Host the viewer sent (standard logs: x-host-header),
  // x-host-header the distribution's own name (standard logs: cs(Host)), and cs-uri-stem
  // holds the query string after a '?'. cs-cookie "is truncated to 800 bytes".
  var REALTIME = ['cs-host', 'cs-user-agent', 'cs-referer', 'cs-cookie', 'cs-accept', 'c-ip-version', 'timestamp'];
  var COOKIE_CUT = 800;
  // The 33 fields standard logs have named since 2019 (standard-logs-reference.html);
  // distribution-tenant-id and connection-id came after them, and the page's example
  // #Fields line still names only the 33 (set by the host, __cffuncReplayClassic).
  var CLASSIC = '';
  root.__cffuncReplayClassic = function (names) { CLASSIC = names; };
  root.__cffuncReplayFile = function () {
    file = { f: null, count: 0, extra: 0, line: 0, seen: 0 };
  };

  // A block of a file replayed apart from the blocks before it (another worker may have
  // read them): the #Fields line in effect, the line number before the block, the data
  // lines before it (for --sample) and the data lines it may read (--limit).
  root.__cffuncReplaySeek = function (fields, line, seen, budget) {
    root.__cffuncReplayFile();
    file.line = line;
    file.seen = seen;
    tally.budget = budget;
    tally.done = false;
    if (fields !== null) setFields(fields);  // a bad one was reported where it stood
  };

  function setFields(line) {
    var names = line.slice(8).trim().split(/\s+/), f = {};
    for (var k = 0; k < names.length; k++) f[names[k]] = k;
    var missing = REQUIRED.concat(reads !== null && reads.tenant ? [TENANT] : []).filter(function (n) { return f[n] === undefined; });
    if (missing.length) return missing;
    function at(n) { return f[n] === undefined ? -1 : f[n]; }
    file.f = f;
    file.count = names.length;
    // Lines of a log whose #Fields line names the classic 33 may carry the two newer
    // fields after them: counted, the two not read (they are not named).
    file.extra = names.join(' ') === CLASSIC ? 2 : 0;
    file.ip = f['c-ip'];
    file.uri = f['cs-uri-stem'];
    file.method = f['cs-method'];
    file.realtime = REALTIME.some(function (n) { return f[n] !== undefined; });
    if (file.realtime) {
      file.host = at('cs-host');
      file.referer = at('cs-referer');
      file.agent = at('cs-user-agent');
      file.accept = at('cs-accept');
      file.cookie = at('cs-cookie');
    } else {
      // The Host the viewer sent is x-host-header; cs(Host) is the distribution's own
      // name (d111111abcdef8.cloudfront.net), used only when the log lacks x-host-header.
      file.host = at('x-host-header') >= 0 ? at('x-host-header') : at('cs(Host)');
      file.referer = at('cs(Referer)');
      file.agent = at('cs(User-Agent)');
      file.accept = at('cs(Accept)');  // cs-accept of a JSON log, as replay converts it
      file.cookie = at('cs(Cookie)');
    }
    file.query = at('cs-uri-query');
    file.date = at('date');
    file.time = at('time');
    file.timestamp = at('timestamp');
    file.status = at('sc-status');
    file.protocol = at('cs-protocol');
    file.forwarded = at('x-forwarded-for');
    file.tenant = at('distribution-tenant-id');
    // The last field of an unterminated last line may have been cut: such a line counts
    // only if that field is not one the event is built from.
    var built = [file.ip, file.uri, file.method, file.host, file.referer, file.agent, file.accept, file.query, file.cookie, file.protocol, file.tenant];
    file.lastRead = built.indexOf(names.length - 1) >= 0;
    // The fields a line is read for when its reading is known (the referer and user agent
    // only go into events, and a line that needs an event is found again whole).
    file.upto = Math.max(file.ip, file.uri, file.method, file.host, file.accept, file.query, file.cookie,
      file.date, file.time, file.timestamp, file.status, file.protocol, file.forwarded, file.tenant);
    return null;
  }

  // Where the fields of the current line lie: field k is bytes starts[k]..ends[k].
  var starts = new Int32Array(64), ends = new Int32Array(64), fieldCount = 0;
  // The fields of the line starting at i: their starts (ends but the last's), their
  // number, and where the line ends (its newline, or `end`). Four bytes at a time: a
  // word's tab and newline bytes are found together (each flagged byte is checked, as
  // the trick may flag a byte above one it found).
  function fields(i, end, upto) {
    var b = buf, n = 0, c, x, t, l, m, low, at;
    starts[0] = i;
    while (i < end && (i & 3) !== 0) {
      c = b[i];
      if (c === 10) {
        fieldCount = n + 1;
        return i;
      }
      if (c === 9) {
        ends[n] = i;
        if (++n === starts.length) grow(n);
        starts[n] = i + 1;
      }
      i++;
    }
    // Up to field `upto` (the last one a line whose reading is known is read for), where
    // each field lies; past it, only how many there are: each word's tabs counted at once.
    while (i + 4 <= end && n <= upto) {
      x = words[i >> 2];
      t = x ^ 0x09090909;
      l = x ^ 0x0a0a0a0a;
      m = (((t - 0x01010101) & ~t) | ((l - 0x01010101) & ~l)) & 0x80808080;
      while (m !== 0) {
        low = m & -m;
        m ^= low;
        at = i + ((31 - Math.clz32(low)) >> 3);
        c = b[at];
        if (c === 10) {
          fieldCount = n + 1;
          return at;
        }
        if (c === 9) {
          ends[n] = at;
          if (++n === starts.length) grow(n);
          starts[n] = at + 1;
        }
      }
      i += 4;
    }
    while (i + 4 <= end) {
      x = words[i >> 2];
      // 0x80 in each byte that is a tab (t) or a newline (l), exactly
      t = x ^ 0x09090909;
      t = ~(((t & 0x7f7f7f7f) + 0x7f7f7f7f) | t | 0x7f7f7f7f);
      l = x ^ 0x0a0a0a0a;
      l = ~(((l & 0x7f7f7f7f) + 0x7f7f7f7f) | l | 0x7f7f7f7f);
      if (l !== 0) {
        low = l & -l;
        n += Math.imul((t & (low - 1)) >>> 7, 0x01010101) >>> 24;
        fieldCount = n + 1;
        return i + ((31 - Math.clz32(low)) >> 3);
      }
      n += Math.imul(t >>> 7, 0x01010101) >>> 24;
      i += 4;
    }
    for (; i < end; i++) {
      c = b[i];
      if (c === 10) break;
      if (c === 9) {
        if (n + 1 < starts.length) {
          ends[n] = i;
          starts[n + 1] = i + 1;
        }
        n++;
      }
    }
    fieldCount = n + 1;
    return i;
  }
  function grow(n) {
    var s = new Int32Array(n * 2), e = new Int32Array(n * 2);
    s.set(starts);
    e.set(ends);
    starts = s;
    ends = e;
  }
  // The URI and the query string of the current line (a real-time cs-uri-stem holds both).
  var uriA = 0, uriB = 0, queryA = 0, queryB = -1;
  function locate() {
    uriA = starts[file.uri];
    uriB = ends[file.uri];
    queryA = file.query < 0 ? 0 : starts[file.query];
    queryB = file.query < 0 ? -1 : ends[file.query];
    if (!file.realtime) return;
    for (var i = uriA; i < uriB; i++) {
      if (buf[i] !== 63) continue;  // '?'
      if (file.query < 0) {
        queryA = i + 1;
        queryB = uriB;
      }
      uriB = i;
      return;
    }
  }
  function value(k) {  // field k as text, '' for '-' or a field the log lacks
    if (k < 0) return '';
    var a = starts[k], b = ends[k];
    return b - a === 1 && buf[a] === 45 ? '' : text(a, b);
  }
  function isDash(k) {
    return ends[k] - starts[k] === 1 && buf[starts[k]] === 45;
  }
  function is(k, word) {  // field k is this ASCII word
    if (k < 0 || ends[k] - starts[k] !== word.length) return false;
    for (var i = 0; i < word.length; i++) if (buf[starts[k] + i] !== word.charCodeAt(i)) return false;
    return true;
  }

  // x-forwarded-for: "can contain multiple comma-separated IP addresses"
  // (standard-logs-reference.html), with or without a space after each comma; the first
  // is the viewer that originated the request. Its network, or null when the field does
  // not hold addresses.
  function forwardedNetwork(k) {
    var a = starts[k], b = ends[k], first = a, i, end, v;
    for (i = a; i < b && buf[i] !== 44; i++);
    end = i;
    // every item must be an address, or the field is not read
    var s = a, e, item;
    while (s <= b) {
      for (e = s; e < b && buf[e] !== 44; e++);
      item = s;
      while (item < e && buf[item] === 32) item++;
      var last = e;
      while (last > item && buf[last - 1] === 32) last--;
      if (last === item || (parse4(item, last) < 0 && !parse6(item, last))) return null;
      if (s === a) {
        first = item;
        end = last;
      }
      s = e + 1;
    }
    v = parse4(first, end);
    if (v >= 0) return network4(v, range4(v));
    parse6(first, end);
    return network6(range6());
  }

  root.__cffuncReplay = function (length, now, limitMs, wantPasses, sample, explain) {
    var summary = {
      malformed: 0, malformedLines: [], errors: [], passes: [], outside: [], rules: {}, spill: [], lines: 0,
      done: tally.done, fieldsError: null, explained: [], lineCount: 0
    };
    if (tally.done) return JSON.stringify(summary);
    var lastWhenStart = -1, lastWhenKey = null, lastWhenBytes = new Uint8Array(16), lastWhen = null;
    var touched = [];
    function malformed(number, note) {
      summary.malformed++;
      if (summary.malformedLines.length < 10) summary.malformedLines.push([number, note]);
    }
    // Requests per five minutes: consecutive lines mostly fall in the same five minutes,
    // so the last answer is kept for the date and the time up to the minute.
    function moment() {
      if (file.date >= 0 && file.time >= 0) {
        var d = starts[file.date], t = starts[file.time];
        if (ends[file.date] - d !== 10 || ends[file.time] - t < 5) return null;
        var i;
        if (lastWhenStart >= 0) {
          for (i = 0; i < 10 && buf[d + i] === lastWhenBytes[i]; i++);
          if (i === 10) {
            for (i = 0; i < 5 && buf[t + i] === lastWhenBytes[10 + i]; i++);
            if (i === 5) return lastWhen;
          }
        }
        for (i = 0; i < 10; i++) lastWhenBytes[i] = buf[d + i];
        for (i = 0; i < 5; i++) lastWhenBytes[10 + i] = buf[t + i];
        lastWhenStart = 0;
        return (lastWhen = fiveMinutes(d, t));
      }
      if (file.timestamp >= 0) return fromEpoch(starts[file.timestamp], ends[file.timestamp]);
      return null;
    }
    var countedWhen = null, counted = null;
    function count(e, network, when, number, forwarded) {
      var cls = e.cls;
      tally.classes[cls]++;
      if (when !== null) {
        if (when !== countedWhen) {
          counted = tally.times.get(when);
          if (counted === undefined) tally.times.set(when, counted = new Float64Array(4));
          countedWhen = when;
        }
        counted[cls]++;
      }
      bump(tally.networks[CLASSES[cls]], network, 1);
      if (forwarded !== undefined) {
        if (forwarded === null) tally.unreadableForwarded++;
        else bump(tally.forwarded[CLASSES[cls]], forwarded, 1);
      }
      if (cls === 3 && summary.errors.length < 20) summary.errors.push([number, e.error]);
      if (e.pending++ === 0) touched.push(e);
    }
    // The counts that go by reading, added up once per block: paths, scopes, the rules
    // that let passes through, and gRPC, status 000 and proxied lines.
    function fold() {
      var outside = new Map();
      touched.forEach(function (e) {
        var n = e.pending, cls = CLASSES[e.cls];
        e.pending = 0;
        bump(tally.paths[cls], e.uri, n);
        if (e.tenant !== null) bump(tally.tenants[cls], e.tenant, n);
        if (scopes && e.cls === 1) bump(tally.scopes, e.scope, n);
        if (e.grpc) tally.grpc[e.cls] += n;
        if (e.closed) tally.closed[e.cls] += n;
        if (e.proxied) tally.proxied[e.cls] += n;
        if (e.cls !== 0 || !wantPasses) return;
        if (typeof e.rule === 'string') summary.rules[e.rule] = (summary.rules[e.rule] || 0) + n;
        else if (e.rule === null) summary.passes.push([n].concat(e.request));
        else {
          // Outside the allowlist, no bypass: only the URI can have let it through, so
          // the host hears of each URI once, with the first such line and a count.
          var seen = outside.get(e.uri);
          if (seen === undefined) outside.set(e.uri, [n].concat(e.request));
          else seen[0] += n;
        }
      });
      outside.forEach(function (line) { summary.outside.push(line); });
      touched = [];
    }
    // The event of the current line, and what else is known of it.
    function build(ip) {
      var uri = decode(text(uriA, uriB)), headers = {}, h;
      if ((h = decode(value(file.host)))) headers.host = { value: h };
      if ((h = decode(value(file.referer)))) headers.referer = { value: h };
      if ((h = decode(value(file.agent)))) headers['user-agent'] = { value: h };
      if ((h = decode(value(file.accept)))) headers.accept = { value: h };
      var q = queryB < 0 || (queryB - queryA === 1 && buf[queryA] === 45) ? '' : decode(text(queryA, queryB));
      var c = decode(value(file.cookie));
      var method = text(starts[file.method], ends[file.method]);
      // A request through a distribution tenant is an event of a multi-tenant
      // distribution, which has a context.endpoint (saas-specific-logic-function-code.html).
      var tenant = file.tenant < 0 || isDash(file.tenant) || ends[file.tenant] === starts[file.tenant] ? null : value(file.tenant);
      var context = { eventType: 'viewer-request', distributionId: 'EREPLAY', requestId: 'replay' };
      if (tenant !== null) context.endpoint = endpoint;
      return {
        uri: uri, q: q, c: c, method: method, host: headers.host ? headers.host.value : '',
        event: {
          version: '1.0',
          context: context,
          viewer: { ip: ip },
          request: { method: method, uri: uri, querystring: query(q), headers: headers, cookies: cookies(c) }
        },
        tenant: tenant,
        // The invocation's facts outside the event (shims/cloudfront.js): the query as
        // the viewer sent it (the log's, "-" for none), for rawQueryString(); the tenant
        // (its parameters are not in the log: answers fill in their defaults).
        edge: q || tenant !== null ? { rawQuery: q || undefined, tenant: tenant === null ? null : { id: tenant, parameters: {} } } : undefined
      };
    }
    function decided(e, line, result, label, ip) {
      e.cls = classify(line.uri, result);
      e.error = result.error;
      e.uri = line.uri;
      e.scope = scopes && e.cls === 1 ? scopeOf(line.method, line.uri, line.host, line.tenant) : null;
      e.rule = e.cls === 0 && wantPasses ? ruleHere(label, line.method, line.uri, line.c) : null;
      e.request = [ip, line.method, line.uri, line.q, line.c, line.host, line.tenant];
    }
    function explainLine(number, e, line, result, reused) {
      summary.explained.push({
        line: number, event: line.copy, tenant: line.tenant,
        output: result.output === undefined ? null : result.output,
        error: result.error, class: CLASSES[classify(line.uri, result)], reused: reused,
        reusedClass: reused ? CLASSES[e.cls] : null
      });
    }

    // Synchronous handlers run in this loop; an async one (a KeyValueStore read) makes
    // the rest of the block continue in the promise's callback, one line at a time.
    function from(i, number) {
      var b = buf, end = length, count4, start, k, c, n, j;
      while (i < end) {
        start = i;
        number++;
        // the fields: bytes between tabs, up to the newline (a '\r' before it dropped)
        i = fields(i, end, file.f === null ? 1e9 : file.upto);
        n = fieldCount - 1;
        var terminated = i < end, stop = i;
        if (stop > start && b[stop - 1] === 13) stop--;
        ends[n] = stop;
        count4 = n + 1;
        i++;
        if (stop === start) continue;
        if (b[start] === 35) {  // '#'
          if (same(start, Math.min(stop, start + 8), FIELDS_WORD)) {
            var missing = setFields(text(start, stop));
            if (missing) {
              summary.fieldsError = [number, missing.join(', ')];
              summary.done = tally.done = true;
              break;
            }
          }
          continue;
        }
        if (tally.budget <= 0) {
          summary.done = tally.done = true;
          break;
        }
        tally.budget--;
        if (file.seen++ % sample !== 0) continue;
        summary.lines++;
        if (b[start] === 0) {
          // A line cffunc/replay/sources.py stands in for a malformed one (MALFORMED), with why.
          malformed(number, text(start + 1, Math.min(stop, start + 200)));
          continue;
        }
        if (file.f === null) {
          malformed(number, 'before any #Fields line; a plain or real-time log needs --fields');
          continue;
        }
        if (count4 !== file.count) {
          if (count4 < file.count || count4 > file.count + file.extra) {
            malformed(number, terminated ? count4 + ' fields, the #Fields line names ' + file.count
              : 'cut short: ' + count4 + ' fields and no newline at the end');
            continue;
          }
          tally.extra++;
        } else if (!terminated && file.lastRead) {
          malformed(number, 'cut short: no newline at the end, and its last field is read');
          continue;
        }
        if (isDash(file.ip) || isDash(file.method) || isDash(file.uri)) {
          malformed(number, (isDash(file.ip) ? 'c-ip' : isDash(file.method) ? 'cs-method' : 'cs-uri-stem') + ' is empty (-)');
          continue;
        }
        if (file.realtime && cookieName !== null && file.cookie >= 0 && ends[file.cookie] - starts[file.cookie] >= COOKIE_CUT) {
          malformed(number, 'cs-cookie cut at 800 bytes: the bypass cookie may be in the part cut off');
          continue;
        }
        locate();

        // The viewer address: its allowlist cell, and its client network.
        var ipA = starts[file.ip], ipB = ends[file.ip], v = parse4(ipA, ipB), r = -1, cell = 0, label = undefined, network;
        if (v >= 0) {
          r = range4(v);
          cell = cells.cells4[r];
          label = cells.labels4[r];
          network = network4(v, r);
        } else if (parse6(ipA, ipB)) {
          r = range6();
          cell = cells.cells6[r];
          label = cells.labels6[r];
          network = network6(r);
        } else network = textKey(text(ipA, ipB));
        var when = moment();
        var grpc = is(file.protocol, 'grpcs'), closed = is(file.status, '000');
        var proxied = file.forwarded >= 0 && !isDash(file.forwarded) && ends[file.forwarded] > starts[file.forwarded];
        var forwarded = proxied ? forwardedNetwork(file.forwarded) : undefined;

        // The reading: what the function reads of the line (see cffunc/function/reads.py).
        var e = undefined;  // (a var: each line starts it afresh)
        if (reuse) {
          // Every part is in the key whatever the file's fields (a marker says whether it
          // holds bytes), so readings of files with other fields cannot run together.
          keyLength = 0;
          hash = 0x811c9dc5;
          put((grpc ? 1 : 0) | (closed ? 2 : 0) | (proxied ? 4 : 0) | (r < 0 ? 8 : v < 0 ? 16 : 0));
          if (r < 0) putBytes(ipA, ipB);  // not an address: as it is
          else putNumber(cell + 1);
          putBytes(starts[file.method], ends[file.method]);
          putBytes(uriA, uriB);
          if (reads.host) putField(file.host);
          if (reads.accept) putField(file.accept);
          // The bypass cookie can only be in a cookie field that names it (or hides it
          // in an escape); the token is read only on the bypass path (escaped, maybe).
          if (cookieName !== null) {
            var ca = file.cookie < 0 ? 0 : starts[file.cookie], cb = file.cookie < 0 ? 0 : ends[file.cookie];
            putField(holds(ca, cb, cookieName) || percent(ca, cb) ? file.cookie : -1);
          }
          if (tokenPath !== null) {
            if (queryB >= 0 && (same(uriA, uriB, tokenPath) || percent(uriA, uriB))) {
              put(1);
              putBytes(queryA, queryB);
            } else put(0);
          }
          putField(file.tenant);
          e = lookup();
        }
        var explaining = summary.explained.length < explain;
        if (e !== undefined && !explaining) {
          count(e, network, when, number, forwarded);
          continue;
        }
        // An event needs every field: the line is found again whole.
        fields(start, end, 1e9);
        ends[fieldCount - 1] = stop;
        var ip = text(ipA, ipB), line = build(ip), fresh = e === undefined;
        if (fresh) {
          e = { cls: 0, error: null, uri: '', scope: null, rule: null, request: null, pending: 0, key: null, hash: 0, grpc: grpc, closed: closed, proxied: proxied, tenant: file.tenant >= 0 ? value(file.tenant) || '-' : null };
          if (reuse) remember(e);
        }
        if (explaining) line.copy = JSON.parse(JSON.stringify(line.event));
        var result = root.__cffuncInvokeSync(line.event, now, limitMs, line.edge);
        var after = finish(e, fresh, line, label, ip, network, when, number, forwarded, explaining);
        if (result && typeof result.then === 'function') {
          return result.then(function (next, at) {
            return function (settled) {
              next(settled);
              return from(at, number);
            };
          }(after, i));
        }
        after(result);
      }
      summary.lineCount = number - first;
      file.line = number;
      fold();
      summary.spill = spill();
      if (entries.length > KNOWN_LIMIT) forget();
      return JSON.stringify(summary);
    }
    function finish(e, fresh, line, label, ip, network, when, number, forwarded, explaining) {
      return function (result) {
        if (explaining) explainLine(number, e, line, result, !fresh);
        if (fresh) decided(e, line, result, label, ip);
        count(e, network, when, number, forwarded);
      };
    }
    var first = file.line;
    return from(0, first);
  };
  var FIELDS_WORD = new Uint8Array([35, 70, 105, 101, 108, 100, 115, 58]);  // #Fields:
})(globalThis);
