import cf from 'cloudfront';
import crypto from 'crypto';
var S = 503, SD = "Service Unavailable", H = {"cache-control":"no-store","retry-after":"3600"};
var TB = "We are upgrading the database.\n";
var JB = '{"error":"maintenance","message":' + JSON.stringify(TB.slice(0, -1)) + ',"retry_after":"3600"}';
var K = "2f9cdcbebe687ef1fc6d9af8e64f0ba2b0eb68bb194c04c7da42f036abedb824", TM = "d9168a79fbd461a57a2227af7eafc4dbec13c04bfc7470679c7f4634be942c14", BP = "/__cffunc/bypass", BC = "cffunc_bypass", TTL = 43200, SKW = 60;
var IP = /^(?:4110010110000000001110001|1600100000000000010000110110111000)/;
var PR = new RegExp("^(?:/health|/maintenance/[\\s\\S]*|/robots\\.txt|/webhooks/stripe)$");
var SAFE = /^(?=\/)(?:\/(?!\.(?![\w~-]))(?:[\w\-.~!$&'()*+,=:@"]|%(?:2[0-46-9a-d]|3[0-9ac-f]|[46][0-9a-f]|5[0-9abd-f]|7[0-9a-e]))+)*\/?$/i;
var HC = /^((?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+)\.?(?::[0-9]+)?$/;
var SK = "cffunc:state", NP = "cffunc:net:", HP = "cffunc:host:", AH = {"on":true};
var OBJ = "/maintenance/index.html", MK = "x-cffunc-maintenance";
var ORG = "maintenance-bucket";

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
  return {statusCode: S, statusDescription: SD, headers: hd({'content-type': {value: t + '; charset=utf-8'}}), body: {encoding: 'text', data: b}};
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

async function cover(r, u, now, st) {
  var h = host(r), l = st.scopes, i, s;
  if (live(st, now) && fits(st, r, u)) return st;
  if (Array.isArray(l)) {
    for (i = 0; i < l.length; i++) {
      s = l[i];
      if (wild(s, now) && (h === null || hm(s.host, h)) && fits(s, r, u)) return s;
    }
  }
  if (st.hosts !== true) return null;
  if (h === null) return AH;
  try {
    s = await cf.kvs().get(HP + h, {format: 'json'});
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
  if (live(v, now) || v.hosts === true) return v;
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

async function decide(r, ip, now, st, o) {
  var u = typeof r.uri === 'string' ? r.uri : '';
  if (r.method === 'GET' && u === BP && mac('t:' + gv(r.querystring, 'token')) === TM) return 1;
  if (!(o.s = await cover(r, u, now, st))) return 0;
  if (ipOk(ip)) return 0;
  if (await netOk(ip)) return 0;
  if (cookieOk(gv(r.cookies, BC), now)) return 0;
  if (SAFE.test(u) && PR.test(u)) return 0;
  return 2;
}

function rewrites(r) {
  if (wantsJson(gv(r.headers, 'accept'))) return false;
  return r.method === 'GET' || r.method === 'HEAD';
}

function answer(r, sc) {
  if (!rewrites(r)) {
    if (wantsJson(gv(r.headers, 'accept'))) return gen(msg(JB, sc), 'application/json');
    return gen(msg(TB, sc), 'text/plain');
  }
  r.uri = OBJ;
  r.querystring = {};
  if (!ob(r.headers)) r.headers = {};
  r.headers[MK] = {value: '1'};
  cf.selectRequestOriginById(ORG);
  return r;
}

async function respond(e, ip, now) {
  var res = e.response, r = e.request, st;
  if (!ob(res)) return fail();
  if (!ob(r)) r = {};
  if (gv(r.headers, MK) || ((st = await state(now)) && (await decide(r, ip, now, st, {})) === 2 && rewrites(r))) {
    res.statusCode = S;
    res.statusDescription = SD;
    if (!ob(res.headers)) res.headers = {};
    hd(res.headers);
  }
  return res;
}

async function handler(event) {
  var now, r, ip, d, st, vr, o = {};
  try {
    vr = event.context && event.context.eventType === 'viewer-response';
    now = Date.now();
    r = event.request;
    ip = event.viewer && event.viewer.ip;
    if (vr) return await respond(event, ip, now);
    if (!ob(r)) return fail();
    st = await state(now);
    if (!st) return r;
    d = await decide(r, ip, now, st, o);
    return d === 0 ? r : d === 1 ? redirect(now) : answer(r, o.s);
  } catch (e) {
    if (!st && ob(r) && !vr) return r;
    return fail();
  }
}
