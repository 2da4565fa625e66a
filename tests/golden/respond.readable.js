var crypto = require('crypto');
var S = 503, SD = "Service Unavailable", H = {"cache-control":"no-store","retry-after":"Tue, 01 Dec 2026 04:00:00 GMT","refresh":"60"};
var TB = "Moving to a new server.\n";
var JB = "{\"error\":\"maintenance\",\"message\":\"Moving to a new server.\",\"retry_after\":\"Tue, 01 Dec 2026 04:00:00 GMT\"}";
var PG = "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\"><meta name=robots content=noindex><title>Down for maintenance</title><style>:root{color-scheme:light dark;--fg:#1f2328;--bg:#f6f8fa;--card:#fff;--muted:#57606a}@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--card:#161b22;--muted:#9198a1}}*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;padding:1.5rem;background:var(--bg);color:var(--fg);font:1.0625rem/1.6 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}main{max-width:34rem;width:100%;background:var(--card);border-radius:.75rem;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}h1{font-size:1.6rem;line-height:1.25;margin:0 0 .75rem}p{margin:.5rem 0}.muted{color:var(--muted);font-size:.95rem}</style><main role=main aria-labelledby=title><h1 id=title>We&rsquo;ll be back soon</h1><p>Moving to a new server.</p><p>Expected back by <time datetime=\"2026-12-01T04:00:00+00:00\">2026-12-01 04:00 UTC</time>.</p><p class=muted>Thank you for your patience. Please try again in a little while.</p></main>\n";
var W1 = 1796097600000;
var K = "2f9cdcbebe687ef1fc6d9af8e64f0ba2b0eb68bb194c04c7da42f036abedb824", TM = "d9168a79fbd461a57a2227af7eafc4dbec13c04bfc7470679c7f4634be942c14", BP = "/__cffunc/bypass", BC = "cffunc_bypass", TTL = 43200, SKW = 60;
var A = "=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";
var T4 = "D===R=";
var T6 = "?==`loGDc,";
var PR = new RegExp("^(?:/health|/\\.well-known/[\\s\\S]*)$");
var SAFE = /^(?=\/)(?:\/(?!\.(?![\w~-]))(?:[\w\-.~!$&'()*+,=:@"]|%(?:2[0-46-9a-d]|3[0-9ac-f]|[46][0-9a-f]|5[0-9abd-f]|7[0-9a-e]))+)*\/?$/i;

function gv(o, k) {
  var x = o && typeof o === 'object' ? o[k] : null;
  return x && typeof x.value === 'string' ? x.value : '';
}

function hd(h) {
  for (var k in H) h[k] = {value: H[k]};
  return h;
}

function gen(b, t) {
  return {statusCode: S, statusDescription: SD, headers: hd({'content-type': {value: t + '; charset=utf-8'}}), body: {encoding: 'text', data: b}};
}

function fail() {
  return gen(TB, 'text/plain');
}

function wantsJson(a) {
  var l = a.toLowerCase().split(','), i, m;
  for (i = 0; i < l.length; i++) {
    m = l[i].split(';')[0].replace(/^[ \t]+|[ \t]+$/g, '');
    if (m === 'application/json') return true;
    if (m === 'text/html') return false;
  }
  return false;
}

function p4(s) {
  var m = /^(0|[1-9]\d?\d?)\.(0|[1-9]\d?\d?)\.(0|[1-9]\d?\d?)\.(0|[1-9]\d?\d?)$/.exec(s), o = [], i;
  if (!m) return null;
  for (i = 1; i < 5; i++) {
    if (+m[i] > 255) return null;
    o.push(+m[i]);
  }
  return o;
}

function p6(s) {
  var h = s.split('::'), c = h.length > 1, a = h[0] ? h[0].split(':') : [], b = c && h[1] ? h[1].split(':') : [], l = c ? b : a, t = /\./.test(l[l.length - 1]) ? p4(l.pop()) : [], o = [], n, i;
  if (h.length > 2 || !t) return null;
  n = a.length + b.length + t.length / 2;
  if (c ? n > 7 : n !== 8) return null;
  while (n++ < 8) a.push('0');
  a = a.concat(b);
  for (i = 0; i < a.length; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(a[i])) return null;
    n = parseInt(a[i], 16);
    o.push(n >> 8, n & 255);
  }
  return o.concat(t);
}

function enc(b) {
  var s = '', acc = 0, n = 3, i;
  for (i = 0; i < b.length; i++) {
    acc = (acc << 8) | b[i];
    n += 8;
    while (n >= 6) {
      n -= 6;
      s += A.charAt((acc >> n) & 63);
    }
    acc &= (1 << n) - 1;
  }
  return s + A.charAt((acc << 1) | 1);
}

function dv(s, i) {
  var c = s.charCodeAt(i);
  return c < 63 ? 0 : c < 92 ? c - 62 : c - 63;
}

function has(s, x) {
  var i = s.length - 1, d, p;
  while (i > 0 && !dv(s, i)) i--;
  d = dv(s, i);
  for (p = 6 * i + 5; d && !(d & 1); p--) d >>= 1;
  i = (p / 6) | 0;
  p %= 6;
  return !!s && x.substring(0, i) === s.substring(0, i) && (!p || dv(x, i) >> (6 - p) === dv(s, i) >> (6 - p));
}

function find(T, w, x) {
  var lo = 0, hi = T.length, k = '', a, b, s;
  while (lo < hi) {
    a = (lo + hi) >> 1;
    a = w ? a - a % w : T.lastIndexOf(',', a - 1) + 1;
    b = w ? a + w : T.indexOf(',', a);
    s = T.substring(a, b);
    if (s <= x) {
      k = s;
      lo = w ? b : b + 1;
    } else hi = a;
  }
  return has(k, x) || has(T.slice(lo, w ? lo + w : T.indexOf(',', lo)), x);
}

function ipOk(ip) {
  var b;
  if (typeof ip !== 'string') return false;
  if (ip.indexOf(':') < 0) {
    b = p4(ip);
    return b ? find(T4, 6, enc(b)) : false;
  }
  b = p6(ip);
  return b ? find(T6, 0, enc(b)) : false;
}

function mac(m) {
  return crypto.createHmac('sha256', K).update(m).digest('hex');
}

function cookieOk(v, now) {
  var i = v.indexOf('.'), x = v.substring(0, i);
  return i > 0 && /^[0-9]{1,12}$/.test(x) && x * 1000 > now && x - TTL - SKW <= now / 1000 && mac('c:' + x) === v.substring(i + 1);
}

function redirect(now) {
  var x = Math.floor(now / 1000) + TTL, c = {};
  c[BC] = {value: x + '.' + mac('c:' + x), attributes: 'Path=/; Max-Age=' + TTL + '; HttpOnly; Secure; SameSite=Lax'};
  return {statusCode: 302, statusDescription: 'Found', headers: {location: {value: '/'}, 'cache-control': {value: 'no-store'}}, cookies: c};
}

function decide(r, ip, now) {
  var u = typeof r.uri === 'string' ? r.uri : '';
  if (now >= W1) return 0;
  if (r.method === 'GET' && u === BP && mac('t:' + gv(r.querystring, 'token')) === TM) return 1;
  if (ipOk(ip)) return 0;
  if (cookieOk(gv(r.cookies, BC), now)) return 0;
  if (SAFE.test(u) && PR.test(u)) return 0;
  return 2;
}

function answer(r) {
  if (wantsJson(gv(r.headers, 'accept'))) return gen(JB, 'application/json');
  return gen(PG, 'text/html');
}

function respond(e) {
  return e.response && typeof e.response === 'object' ? e.response : fail();
}

function handler(event) {
  var now, r, ip, d, st;
  try {
    now = Date.now();
    r = event.request;
    ip = event.viewer && event.viewer.ip;
    if (event.context && event.context.eventType === 'viewer-response') return respond(event, ip, now);
    if (!r || typeof r !== 'object') return fail();
    d = decide(r, ip, now);
    return d === 0 ? r : d === 1 ? redirect(now) : answer(r);
  } catch (e) {
    return fail();
  }
}
