// Replay CloudFront access log lines through the function inside V8: split, decode,
// build the viewer-request event, invoke, classify and count, all without crossing back
// into Python per line. (cffunc/replay.py reads the files in blocks, and reads the counts
// once at the end.)
(function (root) {
  'use strict';

  // Field values repeat (user agents, referers, paths): the decoded text of the last
  // few thousand is kept rather than decoded again.
  var decoded = new Map();
  function decode(text) {
    if (text === '-' || text === undefined) return '';
    if (text.indexOf('%') < 0) return text;
    var hit = decoded.get(text);
    if (hit !== undefined) return hit;
    var out;
    try {
      out = decodeURIComponent(text);
    } catch (e) {
      out = text.replace(/%([0-9a-fA-F]{2})/g, function (m, h) {
        var c = parseInt(h, 16);
        return c < 128 ? String.fromCharCode(c) : m;
      });
    }
    if (decoded.size >= 4096) decoded.clear();
    decoded.set(text, out);
    return out;
  }

  function field(map, name, value) {
    if (Object.prototype.hasOwnProperty.call(map, name)) {
      var entry = map[name];
      if (!entry.multiValue) entry.multiValue = [{ value: entry.value }];
      entry.multiValue.push({ value: value });
    } else map[name] = { value: value };
  }

  function query(text) {
    var out = {};
    if (!text) return out;
    var parts = text.split('&');
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) continue;
      var eq = parts[i].indexOf('=');
      if (eq < 0) field(out, parts[i], '');
      else field(out, parts[i].slice(0, eq), parts[i].slice(eq + 1));
    }
    return out;
  }

  function cookies(text) {
    var out = {};
    if (!text) return out;
    var parts = text.split(';');
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim(), eq = part.indexOf('=');
      if (eq > 0) field(out, part.slice(0, eq), part.slice(eq + 1));
    }
    return out;
  }

  // The client network counted for an address: its /24 (IPv4, as a number: counting
  // by number spares a string per line) or /48 (IPv6, as text). Where the allowlist has
  // networks finer than that, the /24 or /48 is split along them: an address in one of
  // them counts for it, any other for "<the /24> outside <them>" (the labels and the
  // ranges come from cffunc/replay.py, NetworkGrouping.table).
  var splits4 = new Map(), splits6 = new Map();
  function network(ip) {
    var key = coarse(ip), split, value, i, nets;
    if (typeof key === 'number') {
      split = splits4.get(key);
      value = address4;
    } else {
      split = splits6.get(key);
      if (split !== undefined) value = hex128();
    }
    if (split === undefined) return key;
    nets = split.nets;
    for (i = 0; i < nets.length; i++) if (value >= nets[i][0] && value <= nets[i][1]) return nets[i][2];
    return split.outside;
  }
  // The /24 of an IPv4 address as a number (the whole address left in address4), the
  // /48 of an IPv6 one as text (its groups left in groups6); what is not an address is
  // counted as it is.
  var address4 = 0, groups6 = [0, 0, 0, 0, 0, 0, 0, 0];
  function coarse(ip) {
    if (ip.indexOf(':') < 0) {
      address4 = ipv4Value(ip);
      return address4 < 0 ? ip : Math.floor(address4 / 256);
    }
    if (!parse6(ip)) return ip;
    return groups6[0].toString(16) + ':' + groups6[1].toString(16) + ':' + groups6[2].toString(16) + '::/48';
  }
  // An IPv6 address (a dotted IPv4 tail included) into groups6; false if it is not one.
  function parse6(ip) {
    var halves = ip.split('::');
    if (halves.length > 2) return false;
    var head = halves[0] ? halves[0].split(':') : [], tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
    var list = tail.length ? tail : head, last = list.length ? list[list.length - 1] : '', v4 = -1;
    if (last.indexOf('.') >= 0) {
      v4 = ipv4Value(last);
      if (v4 < 0) return false;
      list.pop();
    }
    var count = head.length + tail.length + (v4 < 0 ? 0 : 2), i, k = 0, v;
    if (halves.length === 1 ? count !== 8 : count > 7) return false;
    for (i = 0; i < head.length; i++) {
      if ((v = hexGroup(head[i])) < 0) return false;
      groups6[k++] = v;
    }
    if (halves.length > 1) while (k < 8 - tail.length - (v4 < 0 ? 0 : 2)) groups6[k++] = 0;
    for (i = 0; i < tail.length; i++) {
      if ((v = hexGroup(tail[i])) < 0) return false;
      groups6[k++] = v;
    }
    if (v4 >= 0) {
      groups6[k++] = Math.floor(v4 / 65536);
      groups6[k++] = v4 % 65536;
    }
    return true;
  }
  function hexGroup(g) {
    var n = g.length, v = 0, c;
    if (n < 1 || n > 4) return -1;
    for (var i = 0; i < n; i++) {
      c = g.charCodeAt(i);
      if (c >= 48 && c <= 57) v = v * 16 + c - 48;
      else if ((c |= 32) >= 97 && c <= 102) v = v * 16 + c - 87;  // a-f, A-F
      else return -1;
    }
    return v;
  }
  // The address parsed last, as 32 hex digits (compared as text, they order as the
  // numbers do).
  function hex128() {
    var out = '';
    for (var i = 0; i < 8; i++) out += (groups6[i] + 0x10000).toString(16).substring(1);
    return out;
  }
  // Dotted decimal, four parts of 0-255 without leading zeros, as a number; -1 if not.
  function ipv4Value(ip) {
    var value = 0, part = 0, digits = 0, dots = 0;
    for (var i = 0; i < ip.length; i++) {
      var c = ip.charCodeAt(i);
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
  // The counts of a whole replay live here, across blocks and files; the host reads them
  // once at the end (__cffuncReplayTally). A map that reaches `keep` keys is handed to
  // the host with the block that filled it and starts again empty: the host adds its
  // counts up on disk (cffunc/replay.py, Spill), so memory stays flat whatever the log
  // and every count stays exact.
  var tally = null, keep = 50000, full = [];
  function bump(map, key) {
    var entry = map.get(key);
    if (entry !== undefined) {
      entry.n++;
      return;
    }
    map.set(key, { n: 1 });
    if (map.size === keep) full.push(map);
  }
  // A key as the host reports it: a /24 counted by number as text, a /48 in RFC 5952
  // form (the longest run of zero groups shortened, as Python's ipaddress writes it).
  function networkText(key) {
    if (typeof key === 'number') return (key >>> 16) + '.' + ((key >>> 8) & 255) + '.' + (key & 255) + '.0/24';
    if (key.length < 6 || key.substring(key.length - 5) !== '::/48' || key.indexOf(' ') >= 0) return key;
    var g = key.substring(0, key.length - 5).split(':');
    if (g.length !== 3) return key;
    g = g.concat(['0', '0', '0', '0', '0']);
    var bestAt = -1, bestLength = 0, at = -1;
    for (var i = 0; i <= 8; i++) {
      if (i < 8 && g[i] === '0') {
        if (at < 0) at = i;
        continue;
      }
      if (at >= 0 && i - at > bestLength) {
        bestAt = at;
        bestLength = i - at;
      }
      at = -1;
    }
    return g.slice(0, bestAt).join(':') + '::' + g.slice(bestAt + bestLength).join(':') + '/48';
  }
  function pairs(map) {
    var out = [];
    map.forEach(function (entry, key) { out.push([networkText(key), entry.n]); });
    return out;
  }
  // A handed-over list: 64 JSON texts of [key, count] pairs ('' for none), a key's
  // partition its FNV-1a hash (the host only appends each text to its partition's file).
  var PARTS = 64;
  function partOf(text) {
    var h = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return (h >>> 0) % PARTS;
  }
  function handOver(map) {
    var parts = [], i;
    for (i = 0; i < PARTS; i++) parts.push([]);
    map.forEach(function (entry, key) {
      var text = networkText(key);
      parts[partOf(text)].push([text, entry.n]);
    });
    map.clear();
    map.spilled = true;
    return parts.map(function (p) { return p.length ? JSON.stringify(p) : ''; });
  }
  function named(map, kind, cls) {
    map.kind = kind;
    map.cls = cls;
    return map;
  }
  // [kind, class, partitions] of every map that filled up, now emptied.
  function spill() {
    var out = full.map(function (map) { return [map.kind, map.cls, handOver(map)]; });
    full = [];
    return out;
  }
  // The rule that let a passing line through, named here for the commonest case (an
  // address in the allowlist; the ranges and labels are the Python model's, see
  // cffunc/replay.py, Attribution.for_v8); null sends the line to the host, which names
  // it with the decision model, false too but says the address is in none of the
  // ranges. A line that may involve the bypass always goes there.
  var passRules = null;
  function ruleHere(ip, method, uri, cookie) {
    var r = passRules;
    if (r === null) return null;
    if (r.cookie !== null && (cookie.indexOf(r.cookie) >= 0 || (method === 'GET' && uri === r.path))) return null;
    var value, starts, labels;
    if (ip.indexOf(':') < 0) {
      value = ipv4Value(ip);
      if (value < 0) return null;
      starts = r.starts;
      labels = r.labels;
    } else {
      if (!parse6(ip)) return null;
      value = hex128();
      starts = r.starts6;
      labels = r.labels6;
    }
    var lo = 0, hi = starts.length - 1, mid;
    while (lo < hi) {
      mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= value) lo = mid;
      else hi = mid - 1;
    }
    return labels[lo] === null ? false : labels[lo];
  }

  root.__cffuncReplayStart = function (limit, budget, scopeTable, splits, attribution) {
    passRules = attribution || null;
    splits4 = new Map();
    splits6 = new Map();
    Object.keys(splits ? splits.v4 : {}).forEach(function (k) { splits4.set(+k, splits.v4[k]); });
    Object.keys(splits ? splits.v6 : {}).forEach(function (k) { splits6.set(k, splits.v6[k]); });
    keep = limit;
    // budget: data lines left under --limit, for the whole replay; once it is spent (or
    // a #Fields line lacks what replay needs) every later block returns at once.
    full = [];
    tally = { counts: {}, paths: {}, networks: {}, scopes: named(new Map(), 'scopes', ''), times: new Map(), budget: budget, done: false };
    CLASSES.forEach(function (c) {
      tally.counts[c] = 0;
      tally.paths[c] = named(new Map(), 'paths', c);
      tally.networks[c] = named(new Map(), 'networks', c);
    });
    scopes = scopeTable ? compileScopes(JSON.parse(scopeTable)) : null;
  };

  // Which scope a maintenance line fell in, for the counts per scope: the table
  // (cffunc/replay/run.py, scope_table) lists the scopes in the function's order, with the
  // matching of cffunc/function/scopes.py: the Host in canonical form (the table's regex),
  // lower case, without port or trailing dot, *. wildcards; a Host not in canonical form
  // inside every host scope, a URI not in the safe form inside every path scope.
  var scopes = null;
  function compileScopes(t) {
    function one(s) {
      return s === null ? null : { label: s.label, hosts: s.hosts, writes: s.writes, paths: s.paths === null ? null : new RegExp(s.paths) };
    }
    var exact = new Map();
    Object.keys(t.exact).forEach(function (h) { exact.set(h, one(t.exact[h])); });
    return { list: t.list.map(one), exact: exact, unreadable: one(t.unreadable), safe: new RegExp(t.safe), host: new RegExp(t.host) };
  }
  function hostOf(h) {
    var m = scopes.host.exec(h);
    return m ? m[1].toLowerCase() : null;
  }
  function hostMatch(p, h) {
    return p.charAt(0) === '*' ? h.length > p.length - 1 && h.substring(h.length - p.length + 1) === p.substring(1) : p === h;
  }
  function covers(s, method, uri, h) {
    if (s.writes && (method === 'GET' || method === 'HEAD' || method === 'OPTIONS')) return false;
    if (s.hosts && h !== null && !s.hosts.some(function (p) { return hostMatch(p, h); })) return false;
    return !s.paths || !scopes.safe.test(uri) || s.paths.test(uri);
  }
  function scopeOf(method, uri, header) {
    var h = hostOf(header), i, s;
    for (i = 0; i < scopes.list.length; i++) if (covers(scopes.list[i], method, uri, h)) return scopes.list[i].label;
    s = h === null ? scopes.unreadable : scopes.exact.get(h);
    return s && covers(s, method, uri, h) ? s.label : 'no scope (the function and the table disagree)';
  }
  // One partition of a handed-over list added up: text is its files (a JSON array of
  // [key, count] pairs a line); out, the keys counted at least `floor` times (the host
  // keeps the most frequent over all partitions).
  root.__cffuncReplayMerge = function (text, floor) {
    var counts = new Map(), out = [];
    text.split('\n').forEach(function (line) {
      if (!line) return;
      JSON.parse(line).forEach(function (pair) {
        counts.set(pair[0], (counts.get(pair[0]) || 0) + pair[1]);
      });
    });
    counts.forEach(function (n, key) { if (n >= floor) out.push([key, n]); });
    return JSON.stringify(out);
  };

  // spilled: the lists ("kind class") some worker handed over: the rest of them is
  // handed over too (out.spill), so the host adds those up from its files alone.
  root.__cffuncReplayTally = function (spilled) {
    var out = { counts: tally.counts, paths: {}, networks: {}, scopes: [], times: [], spill: [] };
    var names = new Set(spilled || []);
    function report(map) {
      if (!names.has(map.kind + ' ' + map.cls)) return pairs(map);
      out.spill.push([map.kind, map.cls, handOver(map)]);
      return [];
    }
    out.scopes = report(tally.scopes);
    tally.times.forEach(function (counts, key) { out.times.push([key, counts]); });
    CLASSES.forEach(function (c) {
      out.paths[c] = report(tally.paths[c]);
      out.networks[c] = report(tally.networks[c]);
    });
    return JSON.stringify(out);
  };

  var CLASSES = ['pass', 'maintenance', 'redirect', 'error'];
  var CLASS_INDEX = { pass: 0, maintenance: 1, redirect: 2, error: 3 };

  function classify(uri, result) {
    if (result.error !== null) return 'error';
    var out = result.output;
    if (out && typeof out === 'object' && 'statusCode' in out) {
      return out.statusCode >= 300 && out.statusCode < 400 ? 'redirect' : 'maintenance';
    }
    if (!out || typeof out !== 'object') return 'error';
    return out.uri !== uri ? 'maintenance' : 'pass';
  }

  // Per-file state, kept across blocks: the #Fields map, lines read, data lines seen.
  var file = null;
  var REQUIRED = ['c-ip', 'cs-uri-stem'];
  root.__cffuncReplayFile = function () {
    file = { f: null, count: 0, line: 0, seen: 0, host: -1, referer: -1, agent: -1, query: -1, cookie: -1, method: -1, date: -1, time: -1 };
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
    var missing = REQUIRED.filter(function (n) { return f[n] === undefined; });
    if (missing.length) return missing;
    function at(n) { return f[n] === undefined ? -1 : f[n]; }
    file.f = f;
    file.count = names.length;
    file.ip = f['c-ip'];
    file.uri = f['cs-uri-stem'];
    // The Host the viewer sent is x-host-header; cs(Host) is the distribution's own
    // name (d111111abcdef8.cloudfront.net), used only when the log lacks x-host-header.
    file.host = at('x-host-header') >= 0 ? at('x-host-header') : at('cs(Host)');
    file.referer = at('cs(Referer)');
    file.agent = at('cs(User-Agent)');
    file.query = at('cs-uri-query');
    file.cookie = at('cs(Cookie)');
    file.method = at('cs-method');
    file.date = at('date');
    file.time = at('time');
    return null;
  }

  // text: whole lines of the current file (the next after the previous block's), without
  // the final newline. Lines are named by their number in the file. sample K replays
  // every K-th data line; budget: data lines left under --limit.
  root.__cffuncReplay = function (text, now, limitMs, wantPasses, sample) {
    var summary = {
      malformed: 0, malformedLines: [], errors: [], passes: [], outside: [], rules: {}, spill: [], lines: 0,
      done: tally.done, fieldsError: null
    };
    if (tally.done) return JSON.stringify(summary);
    var lines = text.split('\n');
    var base = file.line;
    var last = { date: null, minute: null, when: null };
    var outside = new Map();
    function malformed(number, note) {
      summary.malformed++;
      if (summary.malformedLines.length < 10) summary.malformedLines.push([number, note]);
    }
    // Requests per five minutes, by class, from the date and time fields (for the report).
    // Consecutive lines mostly fall in the same five minutes: the last answer is kept
    // for its date and its time up to the minute.
    function moment(cols) {
      if (file.date < 0 || file.time < 0) return null;
      var d = cols[file.date], t = cols[file.time];
      if (d === last.date && t.lastIndexOf(last.minute, 0) === 0) return last.when;
      if (!/^\d{4}-\d\d-\d\d$/.test(d) || !/^\d\d:\d\d/.test(t)) return null;
      last.date = d;
      last.minute = t.substring(0, 5);
      last.when = d + 'T' + t.substring(0, 3) + ('0' + (Math.floor(+t.substring(3, 5) / 5) * 5)).slice(-2);
      return last.when;
    }
    function record(number, ip, method, uri, q, c, result, host, when) {
      var cls = classify(uri, result);
      tally.counts[cls]++;
      if (when !== null) {
        var counts = tally.times.get(when);
        if (counts === undefined) tally.times.set(when, counts = [0, 0, 0, 0]);
        counts[CLASS_INDEX[cls]]++;
      }
      if (scopes && cls === 'maintenance') bump(tally.scopes, scopeOf(method, uri, host));
      bump(tally.paths[cls], uri);
      bump(tally.networks[cls], network(ip));
      if (cls === 'error' && summary.errors.length < 20) summary.errors.push([number, result.error]);
      if (cls === 'pass' && wantPasses) {
        var rule = ruleHere(ip, method, uri, c);
        if (typeof rule === 'string') summary.rules[rule] = (summary.rules[rule] || 0) + 1;
        else if (rule === null) summary.passes.push([ip, method, uri, q, c, host, false]);
        else {
          // Outside the allowlist, no bypass: only the URI can have let it through, so
          // the host hears of each URI once, with the first such line and a count.
          var seen = outside.get(uri);
          if (seen === undefined) outside.set(uri, [uri, 1, ip, method, q, c, host]);
          else seen[1]++;
        }
      }
    }
    function col(cols, index) {
      return index < 0 || cols[index] === '-' ? '' : decode(cols[index]);
    }
    // Synchronous handlers run in this loop; an async one (a KeyValueStore read) makes
    // the rest of the block continue in the promise's callback, one line at a time.
    function from(i) {
      for (; i < lines.length; i++) {
        var line = lines[i], number = base + i + 1;
        if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
        if (line.charCodeAt(0) === 35) {  // '#'
          if (line.lastIndexOf('#Fields:', 0) === 0) {
            var missing = setFields(line);
            if (missing) {
              summary.fieldsError = [number, missing.join(', ')];
              summary.done = tally.done = true;
              break;
            }
          }
          continue;
        }
        if (!line) continue;
        if (tally.budget <= 0) {
          summary.done = tally.done = true;
          break;
        }
        tally.budget--;
        if (file.seen++ % sample !== 0) continue;
        summary.lines++;
        if (line.charCodeAt(0) === 0) {
          // A line cffunc/replay/sources.py stands in for a malformed one (MALFORMED), with why.
          malformed(number, line.slice(1, 200));
          continue;
        }
        if (file.f === null) {
          malformed(number, 'before any #Fields line; a plain or real-time log needs --fields');
          continue;
        }
        var cols = line.split('\t');
        if (cols.length !== file.count) {
          malformed(number, '');
          continue;
        }
        var ip = cols[file.ip], uri = decode(cols[file.uri]), headers = {}, h;
        if ((h = col(cols, file.host))) headers.host = { value: h };
        if ((h = col(cols, file.referer))) headers.referer = { value: h };
        if ((h = col(cols, file.agent))) headers['user-agent'] = { value: h };
        var q = col(cols, file.query), c = col(cols, file.cookie), host = headers.host ? headers.host.value : '';
        var when = moment(cols);
        var method = file.method < 0 ? 'GET' : cols[file.method];
        var event = {
          version: '1.0',
          context: { eventType: 'viewer-request', distributionId: 'EREPLAY', requestId: 'replay' },
          viewer: { ip: ip },
          request: { method: method, uri: uri, querystring: query(q), headers: headers, cookies: cookies(c) }
        };
        // The log's query field is the query as sent ("-" for none), for rawQueryString().
        var result = root.__cffuncInvokeSync(event, now, limitMs, q ? { rawQuery: q } : undefined);
        if (result && typeof result.then === 'function') {
          return result.then(continueAfter(i, number, ip, method, uri, q, c, host, when));
        }
        record(number, ip, method, uri, q, c, result, host, when);
      }
      file.line = base + lines.length;
      summary.spill = spill();
      outside.forEach(function (line) { summary.outside.push(line); });
      return JSON.stringify(summary);
    }
    function continueAfter(i, number, ip, method, uri, q, c, host, when) {
      return function (result) {
        record(number, ip, method, uri, q, c, result, host, when);
        return from(i + 1);
      };
    }
    return from(0);
  };
})(globalThis);
