// The CloudFront Functions global environment, set up once per V8 context.
// Function code never runs at the top level of this context: each invocation calls a
// fresh instance of it (see __cffuncInstall), with Date, console, require, eval and the
// timer globals shadowed by parameters, so no state leaks from one event to the next
// and nothing outside the documented runtime is reachable by name.
(function (root) {
  'use strict';
  var RealDate = root.Date;
  var LOG_LIMIT = 10240;
  var state = { now: 0, logs: [], logBytes: 0, truncated: false, origin: [] };
  var modules = {};

  class FrozenDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(state.now);
      else super(...args);
    }
    static now() { return state.now; }
  }
  // Date() called without new gives the frozen time as a string, as a real Date would.
  var DateShim = new Proxy(FrozenDate, {
    apply: function () { return new RealDate(state.now).toString(); }
  });

  function utf8Length(text) {
    var n = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? (i++, 4) : 3;
    }
    return n;
  }

  // console.log takes one argument at the edge; output past 10 KB per invocation is cut.
  var consoleShim = {
    log: function (message) {
      if (state.truncated) return;
      var text = String(message);
      var size = utf8Length(text);
      if (state.logBytes + size > LOG_LIMIT) {
        state.truncated = true;
        state.logs.push(text.slice(0, Math.max(0, LOG_LIMIT - state.logBytes)));
        return;
      }
      state.logBytes += size;
      state.logs.push(text);
    }
  };
  consoleShim.info = consoleShim.warn = consoleShim.error = consoleShim.debug = consoleShim.log;

  function forbidden(name) {
    return function () { throw new EvalError(name + ' is not allowed in CloudFront Functions'); };
  }

  function requireShim(name) {
    if (Object.prototype.hasOwnProperty.call(modules, name)) return modules[name];
    throw new Error("Cannot find module '" + name + "'");
  }

  // The origin helpers change nothing here; what they were asked is recorded and
  // reported with the result, as the origin CloudFront would send the request to.
  var cloudfront = {
    selectRequestOriginById: function (id) {
      state.origin.push({ call: 'selectRequestOriginById', args: [id] });
    },
    updateRequestOrigin: function (params) {
      state.origin.push({ call: 'updateRequestOrigin', args: [params] });
    },
    createRequestOriginGroup: function (params) {
      state.origin.push({ call: 'createRequestOriginGroup', args: [params] });
    }
  };

  root.__cffuncSetup = function (runtime) {
    modules = { crypto: root.__cffuncCrypto(runtime) };
    if (runtime === 'cloudfront-js-2.0') modules.cloudfront = cloudfront;
  };

  var instances = null;

  // code: the function source with its import statements already turned into
  // `var x = require('module')` (cffunc/runtime/source.py does that with a parser).
  root.__cffuncInstall = function (factory) {
    instances = factory;
  };

  function freshHandler() {
    return instances(requireShim, consoleShim, DateShim, forbidden('eval'), forbidden('Function'),
      undefined, undefined, undefined, undefined, undefined, undefined, undefined);
  }

  async function invoke(item) {
    state.now = item.now;
    state.logs = [];
    state.logBytes = 0;
    state.truncated = false;
    state.origin = [];
    var result = { output: null, error: null, logs: null, origin: null };
    try {
      var handler = freshHandler();
      if (typeof handler !== 'function') throw new Error('The function does not define handler');
      var output = await handler(item.event);
      result.output = output === undefined ? null : JSON.parse(JSON.stringify(output));
      if (output === undefined) result.error = 'The function returned undefined';
    } catch (e) {
      result.error = e && e.name ? e.name + ': ' + e.message : String(e);
    }
    result.logs = state.logs;
    result.origin = state.origin;
    return result;
  }

  root.__cffuncRun = async function (batch) {
    var results = [];
    for (var i = 0; i < batch.length; i++) results.push(await invoke(batch[i]));
    return JSON.stringify(results);
  };
})(globalThis);
