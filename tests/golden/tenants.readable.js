import cf from 'cloudfront';
var S = 503, SD = "Service Unavailable", H = {"cache-control":"no-store","retry-after":"600"};
var TB = "{tenant.maintenanceMessage|We are down for maintenance.}\n";
var JB = '{"error":"maintenance","message":' + JSON.stringify(TB.slice(0, -1)) + ',"retry_after":"600"}';
var PGK = "cffunc:page:5d7660ea4291:", PGN = 2, PGL = 1065;
var IP = /^(?:4110010110000000001110001)/;
var PR = new RegExp("^(?:/health)$");
var SAFE = /^(?=\/)(?:\/(?!\.(?![\w~-]))(?:[\w\-.~!$&'()*+,=:@"]|%(?:2[0-46-9a-d]|3[0-9ac-f]|[46][0-9a-f]|5[0-9abd-f]|7[0-9a-e]))+)*\/?$/i;
var HC = /^((?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+)\.?(?::[0-9]+)?$/;
var SK = "cffunc:state", NP = "cffunc:net:", HP = "cffunc:host:", AH = {"on":true}, TK = "cffunc:tenant:";
var TP = /\{tenant\.([A-Za-z0-9_-]{1,128})(?:\|([^{}]*))?\}/g;

function ob(x) {
  return x && typeof x === 'object';
}

function gv(o, k) {
  var x = ob(o) ? o[k] : null;
  return x && typeof x.value === 'string' ? x.value : '';
}

function hd(h) {
  for (var k in H) h[k] = {value: H[k]};
  return h;
}

function gen(b, t) {
  return {statusCode: S, statusDescription: SD, headers: hd({'content-type': {value: t + '; charset=utf-8'}}), body: {encoding: 'text', data: fill(b, t.charAt(5))}};
}

function fail() {
  return gen(TB, 'text/plain');
}

function wantsJson(a) {
  var m = /(?:^|,)[ \t]*(application\/json|text\/html)[ \t]*(?:[;,]|$)/i.exec(a);
  return !!m && m[1].length > 9;
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

function ipb(s) {
  return typeof s === 'string' && (s.indexOf(':') < 0 ? p4(s) : p6(s));
}

function bits(b) {
  for (var s = '', i = 0; i < b.length; i++) s += (b[i] | 256).toString(2).slice(1);
  return s;
}

function ipOk(ip) {
  var b = ipb(ip);
  return !!b && IP.test(b.length + bits(b));
}

function host(r) {
  var m = HC.exec(gv(r.headers, 'host'));
  return m ? m[1].toLowerCase() : null;
}

function hm(p, h) {
  return p.charAt(0) === '*' ? h.length > p.length - 1 && h.substring(h.length - p.length + 1) === p.substring(1) : p === h;
}

function live(s, now) {
  return !!ob(s) && s.on === true && (s.until == null || now < tm(s.until)) && (s.start == null || now >= tm(s.start));
}

function tm(t) {
  var d = /^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/.test(t) ? Date.parse(t) : NaN;
  return isNaN(d) || new Date(d).toISOString() !== t.replace('Z', '.000Z') ? NaN : d;
}

function wild(s, now) {
  return live(s, now) && typeof s.host === 'string' && s.host.substring(0, 2) === '*.';
}

function pm(p, u) {
  if (p.charAt(0) !== '/' && p.charAt(0) !== '*') p = '/' + p;
  return new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]') + '$').test(u);
}

function fits(s, r, u) {
  var p = s.paths, i;
  if (s.methods === 'writes' && (r.method === 'GET' || r.method === 'HEAD' || r.method === 'OPTIONS')) return false;
  if (!Array.isArray(p) || !p.length || !SAFE.test(u)) return true;
  for (i = 0; i < p.length; i++) if (typeof p[i] === 'string' && pm(p[i], u)) return true;
  return false;
}

async function cover(r, u, now, st, t) {
  var h = host(r), l = st.scopes, i, s;
  if (live(st, now) && fits(st, r, u)) return st;
  if (Array.isArray(l)) {
    for (i = 0; i < l.length; i++) {
      s = l[i];
      if (wild(s, now) && (h === null || hm(s.host, h)) && fits(s, r, u)) return s;
    }
  }
  if (st.hosts === true) {
    if (h === null) return AH;
    try {
      s = await cf.kvs().get(HP + h, {format: 'json'});
    } catch (e) {
      s = null;
    }
    if (live(s, now) && fits(s, r, u)) return s;
  }
  if (st.tenants !== true || t === null) return null;
  if (!t) return AH;
  try {
    s = await cf.kvs().get(TK + t, {format: 'json'});
  } catch (e) {
    return null;
  }
  return live(s, now) && fits(s, r, u) ? s : null;
}

async function state(now) {
  var v, l, i;
  try {
    v = await cf.kvs().get(SK, {format: 'json'});
  } catch (e) {
    console.log('cffunc: maintenance state unreadable, so off: ' + e);
    return null;
  }
  if (!ob(v) || typeof v.on !== 'boolean') return null;
  if (live(v, now) || v.hosts === true || v.tenants === true) return v;
  l = v.scopes;
  if (Array.isArray(l)) for (i = 0; i < l.length; i++) if (wild(l[i], now)) return v;
  return null;
}

async function netOk(ip) {
  var b = ipb(ip), k = b && bits(b), v, l, i, x, c, n;
  if (!b) return false;
  try {
    v = await cf.kvs().get(NP + (b.length === 4 ? b[0] : ((b[0] << 8) | b[1]).toString(16) + ':' + ((b[2] << 8) | b[3]).toString(16)));
  } catch (e) {
    return false;
  }
  l = String(v).split(' ');
  for (i = 0; i < l.length; i++) {
    x = l[i].split('/');
    c = x.length === 2 && /^[0-9]{1,3}$/.test(x[1]) && ipb(x[0]);
    n = +x[1];
    if (c && c.length === b.length && n <= b.length * 8 && bits(c).slice(0, n) === k.slice(0, n)) return true;
  }
  return false;
}

function msg(b, st) {
  var o;
  if (!st || typeof st.reason !== 'string') return b;
  if (b === TB) return st.reason + '\n';
  o = JSON.parse(b);
  o.message = st.reason;
  return JSON.stringify(o);
}

function tid(e) {
  var t, c = e && e.context;
  try {
    t = cf.distributionTenant.id;
  } catch (x) {}
  return typeof t === 'string' && t ? t : c && typeof c.endpoint === 'string' && c.endpoint ? '' : null;
}

function fill(b, k) {
  try {
    return b.replace(TP, function (m, n, d) {
      var v;
      try {
        v = cf.distributionTenant.parameters.get(n);
      } catch (e) {}
      return typeof v !== 'string' ? d || '' : k === 'c' ? JSON.stringify(v).slice(1, -1) : k === 'h' ? v.replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }) : v;
    });
  } catch (e) {
    return b;
  }
}

async function decide(r, ip, now, st, o, e) {
  var u = typeof r.uri === 'string' ? r.uri : '';
  var t = tid(e);
  if (!(o.s = await cover(r, u, now, st, t))) return 0;
  if (ipOk(ip)) return 0;
  if (await netOk(ip)) return 0;
  if (SAFE.test(u) && PR.test(u)) return 0;
  return 2;
}

async function page() {
  var s = '', i;
  try {
    for (i = 0; i < PGN; i++) s += await cf.kvs().get(PGK + i);
    if (s.length === PGL) return s;
  } catch (e) {}
}

async function answer(r, sc) {
  var p;
  if (wantsJson(gv(r.headers, 'accept'))) return gen(msg(JB, sc), 'application/json');
  return !(sc && sc.methods === 'writes') && (p = await page()) ? gen(p, 'text/html') : gen(msg(TB, sc), 'text/plain');
}

function respond(e) {
  return ob(e.response) ? e.response : fail();
}

async function handler(event) {
  var now, r, ip, d, st, vr, o = {};
  try {
    vr = event.context && event.context.eventType === 'viewer-response';
    now = Date.now();
    r = event.request;
    ip = event.viewer && event.viewer.ip;
    if (vr) return await respond(event);
    if (!ob(r)) return fail();
    st = await state(now);
    if (!st) return r;
    d = await decide(r, ip, now, st, o, event);
    return d === 0 ? r : await answer(r, o.s);
  } catch (e) {
    if (!st && ob(r) && !vr) return r;
    return fail();
  }
}
