// Replay CloudFront access log lines through the function inside V8: split, decode,
// build the viewer-request event, invoke, classify and count, all without crossing back
// into Python per line. (cffunc/replay.py reads the files and merges the counts.)
(function (root) {
  'use strict';

  function decode(text) {
    if (text === '-' || text === undefined) return '';
    if (text.indexOf('%') < 0) return text;
    try {
      return decodeURIComponent(text);
    } catch (e) {
      return text.replace(/%([0-9a-fA-F]{2})/g, function (m, h) {
        var c = parseInt(h, 16);
        return c < 128 ? String.fromCharCode(c) : m;
      });
    }
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

  function network(ip) {
    if (ip.indexOf(':') < 0) {
      var dot = ip.lastIndexOf('.');
      return dot > 0 ? ip.slice(0, dot) + '.0/24' : ip;
    }
    var halves = ip.toLowerCase().split('::'), head = halves[0] ? halves[0].split(':') : [];
    var tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
    var groups = head.slice();
    if (halves.length > 1) while (groups.length + tail.length < 8) groups.push('0');
    groups = groups.concat(tail);
    var first = groups.slice(0, 3).map(function (g) { return (g.replace(/^0+/, '') || '0'); });
    return first.join(':') + '::/48';
  }

  function bump(map, key) {
    map[key] = (map[key] || 0) + 1;
  }

  var CLASSES = ['pass', 'maintenance', 'redirect', 'error'];

  function classify(request, result) {
    if (result.error !== null) return 'error';
    var out = result.output;
    if (out && typeof out === 'object' && 'statusCode' in out) {
      return out.statusCode >= 300 && out.statusCode < 400 ? 'redirect' : 'maintenance';
    }
    if (!out || typeof out !== 'object') return 'error';
    return out.uri !== request.uri ? 'maintenance' : 'pass';
  }

  // text: data lines joined by \n; f: field name -> index. Lines are reported by their
  // index in text (the caller maps them to file line numbers).
  root.__cffuncReplay = function (text, f, count, now, limitMs, wantPasses) {
    var lines = text.split('\n');
    var summary = { counts: {}, paths: {}, networks: {}, malformed: [], errors: [], passes: [] };
    CLASSES.forEach(function (c) { summary.counts[c] = 0; summary.paths[c] = {}; summary.networks[c] = {}; });
    function record(i, ip, request, uri, q, c, result) {
      var cls = classify({ uri: uri }, result);
      summary.counts[cls]++;
      bump(summary.paths[cls], uri);
      bump(summary.networks[cls], network(ip));
      if (cls === 'error' && summary.errors.length < 20) summary.errors.push([i, result.error]);
      if (cls === 'pass' && wantPasses) summary.passes.push([ip, request.method, uri, q, c]);
    }
    // Synchronous handlers run in this loop; an async one (a KeyValueStore read) makes
    // the rest of the chunk continue in the promise's callback, one line at a time.
    function from(i) {
    for (; i < lines.length; i++) {
      var line = lines[i];
      if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      var cols = line.split('\t');
      if (cols.length !== count) {
        summary.malformed.push(i);
        continue;
      }
      var ip = cols[f['c-ip']], uri = decode(cols[f['cs-uri-stem']]);
      var headers = {};
      if (f['cs(Host)'] !== undefined && cols[f['cs(Host)']] !== '-') headers.host = { value: decode(cols[f['cs(Host)']]) };
      if (f['cs(Referer)'] !== undefined && cols[f['cs(Referer)']] !== '-') headers.referer = { value: decode(cols[f['cs(Referer)']]) };
      if (f['cs(User-Agent)'] !== undefined && cols[f['cs(User-Agent)']] !== '-') headers['user-agent'] = { value: decode(cols[f['cs(User-Agent)']]) };
      var q = f['cs-uri-query'] !== undefined ? decode(cols[f['cs-uri-query']]) : '';
      var c = f['cs(Cookie)'] !== undefined ? decode(cols[f['cs(Cookie)']]) : '';
      var request = {
        method: f['cs-method'] !== undefined ? cols[f['cs-method']] : 'GET',
        uri: uri,
        querystring: query(q),
        headers: headers,
        cookies: cookies(c)
      };
      var event = {
        version: '1.0',
        context: { eventType: 'viewer-request', distributionId: 'EREPLAY', requestId: 'replay' },
        viewer: { ip: ip },
        request: request
      };
      var result = root.__cffuncInvokeSync(event, now, limitMs);
      if (result && typeof result.then === 'function') {
        return result.then(continueAfter(i, ip, request, uri, q, c));
      }
      record(i, ip, request, uri, q, c, result);
    }
    return JSON.stringify(summary);
    }
    function continueAfter(i, ip, request, uri, q, c) {
      return function (result) {
        record(i, ip, request, uri, q, c, result);
        return from(i + 1);
      };
    }
    return from(0);
  };
})(globalThis);
