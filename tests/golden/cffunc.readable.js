import cf from 'cloudfront';
import crypto from 'crypto';
var S = 503, SD = "Service Unavailable", H = {"cache-control":"no-store","retry-after":"3600"};
var TB = "We are upgrading the database.\n";
var JB = '{"error":"maintenance","message":' + JSON.stringify(TB.slice(0, -1)) + ',"retry_after":"3600"}';
var W0 = 1796090400000;
var W1 = 1796097600000;
var K = "2f9cdcbebe687ef1fc6d9af8e64f0ba2b0eb68bb194c04c7da42f036abedb824", TM = "d9168a79fbd461a57a2227af7eafc4dbec13c04bfc7470679c7f4634be942c14", BP = "/__cffunc/bypass", BC = "cffunc_bypass", TTL = 43200, SKW = 60;
var IP = /^(?:411000110001100110110010000000111|4110010110000000001110001|1600100000000000010000110110111000)/;
var PR = new RegExp("^(?:/health|/maintenance/[\\s\\S]*|/robots\\.txt|/webhooks/stripe)$");
var SAFE = /^(?=\/)(?:\/(?!\.(?![\w~-]))(?:[\w\-.~!$&'()*+,=:@"]|%(?:2[0-46-9a-d]|3[0-9ac-f]|[46][0-9a-f]|5[0-9abd-f]|7[0-9a-e]))+)*\/?$/i;
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
  if (now < W0) return 0;
  if (now >= W1) return 0;
  if (r.method === 'GET' && u === BP && mac('t:' + gv(r.querystring, 'token')) === TM) return 1;
  if (ipOk(ip)) return 0;
  if (cookieOk(gv(r.cookies, BC), now)) return 0;
  if (SAFE.test(u) && PR.test(u)) return 0;
  return 2;
}

function rewrites(r) {
  if (wantsJson(gv(r.headers, 'accept'))) return false;
  return r.method === 'GET' || r.method === 'HEAD';
}

function answer(r) {
  if (!rewrites(r)) {
    if (wantsJson(gv(r.headers, 'accept'))) return gen(JB, 'application/json');
    return gen(TB, 'text/plain');
  }
  r.uri = OBJ;
  r.querystring = {};
  if (!ob(r.headers)) r.headers = {};
  r.headers[MK] = {value: '1'};
  cf.selectRequestOriginById(ORG);
  return r;
}

function respond(e, ip, now) {
  var res = e.response, r = e.request;
  if (!ob(res)) return fail();
  if (!ob(r)) r = {};
  if (gv(r.headers, MK) || (decide(r, ip, now) === 2 && rewrites(r))) {
    res.statusCode = S;
    res.statusDescription = SD;
    if (!ob(res.headers)) res.headers = {};
    hd(res.headers);
  }
  return res;
}

function handler(event) {
  var now, r, ip, d;
  try {
    now = Date.now();
    r = event.request;
    ip = event.viewer && event.viewer.ip;
    if (event.context && event.context.eventType === 'viewer-response') return respond(event, ip, now);
    if (!ob(r)) return fail();
    d = decide(r, ip, now);
    return d === 0 ? r : d === 1 ? redirect(now) : answer(r);
  } catch (e) {
    return fail();
  }
}
