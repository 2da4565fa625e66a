// The CloudFront Functions global environment, set up once per V8 context.
// Function code never runs at the top level of this context: each invocation calls a
// fresh instance of it (see __cffuncInstall), with Date, console, require, eval and the
// timer globals shadowed by parameters, so no state leaks from one event to the next
// and nothing outside the documented runtime is reachable by name.
(function (root) {
  'use strict';
  var RealDate = root.Date;
  // What the runner itself calls, taken before any function code runs: function code
  // may replace JSON, Array.prototype.push or Promise.prototype.then for itself, and its
  // results must still come back whole.
  var stringify = JSON.stringify, parse = JSON.parse, apply = Reflect.apply;
  var thenOf = Promise.prototype.then, resolveOf = Promise.resolve, NativePromise = Promise;
  var LOG_LIMIT = 10240;
  var state = { now: 0, logs: [], logBytes: 0, truncated: false };
  // The cloudfront module and request.rawQueryString() (shims/cloudfront.js).
  var edge = root.__cffuncEdge;
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

  // Both runtimes document console as "a helper object for debugging. It only supports the
  // log() method", and no comma syntax: one argument (functions-javascript-runtime-10.html,
  // -20.html). So console.warn/error/info/debug are absent, as at the edge, and code calling
  // them fails here as it would there. Each invocation gets a console of its own (see
  // freshHandler), so what one adds to it is gone for the next. Output past 10 KB is cut.
  function consoleLog(message) {
    if (state.truncated) return;
    var text = String(message);
    var size = utf8Length(text);
    if (state.logBytes + size > LOG_LIMIT) {
      state.truncated = true;
      state.logs[state.logs.length] = text.slice(0, Math.max(0, LOG_LIMIT - state.logBytes));
      return;
    }
    state.logBytes += size;
    state.logs[state.logs.length] = text;
  }

  function forbidden(name) {
    return function () { throw new EvalError(name + ' is not allowed in CloudFront Functions'); };
  }

  function requireShim(name) {
    if (Object.prototype.hasOwnProperty.call(modules, name)) return modules[name];
    throw new Error("Cannot find module '" + name + "'");
  }

  var runtimeName = null;
  var globals = {};
  root.__cffuncSetup = function (runtime, kvs) {
    runtimeName = runtime;
    edge.setup(runtime, kvs);
    modules = { crypto: root.__cffuncCrypto(runtime), querystring: root.__cffuncQuerystring };
    if (runtime === 'cloudfront-js-2.0') {
      modules.cloudfront = edge.module;
      globals = root.__cffuncGlobals20;
    } else {
      globals = {};
      root.__cffuncInstallByteStrings();
    }
    lockdown();
    snapshot();
  };

  // What the edge does not have stays out of reach even by reflection: every kind of
  // function's constructor throws (so `(function(){}).constructor('return this')()` gives
  // no Function and no global object), eval and Function throw on the global object too,
  // the global Date is the frozen one, and timers, WebAssembly and shared memory are gone.
  // Function code itself already sees shadowing parameters for these names.
  var locked = false;
  function lockdown() {
    if (locked) return;
    locked = true;
    var kinds = [function () {}, async function () {}, function* () {}, async function* () {}];
    kinds.forEach(function (f) {
      Object.defineProperty(Object.getPrototypeOf(f), 'constructor', {
        value: forbidden('Function'), writable: false, enumerable: false, configurable: false
      });
    });
    root.eval = forbidden('eval');
    root.Function = forbidden('Function');
    root.Date = DateShim;
    ['WebAssembly', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate',
      'clearImmediate', 'queueMicrotask', 'Atomics', 'SharedArrayBuffer', 'FinalizationRegistry',
      'WeakRef'].forEach(function (name) {
      // Some of mini-racer's own globals cannot be deleted: then they are emptied.
      try { delete root[name]; } catch (e) { /* non-configurable */ }
      if (root[name] !== undefined) {
        try { root[name] = undefined; } catch (e) {
          Object.defineProperty(root, name, { value: undefined });
        }
      }
    });
  }

  // Function code may add globals or pollute built-in prototypes; whatever it adds is
  // taken away after each invocation, so no event sees another's leftovers. (Only
  // additions are checked: counting own properties is cheap enough for every call.)
  var watched = [];
  function snapshot() {
    watched = [root, Object.prototype, Array.prototype, String.prototype, Function.prototype,
      Number.prototype, Boolean.prototype, RegExp.prototype, RealDate.prototype, Promise.prototype,
      Error.prototype, Map.prototype, Set.prototype, WeakMap.prototype, Symbol.prototype,
      Object, Array, String, Number, Boolean, RegExp, Promise, Error, Map, Set, WeakMap, Symbol,
      JSON, Math, Reflect, FrozenDate, RealDate].concat(Object.keys(modules).map(function (name) {
      return modules[name];
    })).map(function (target) {
      var names = Object.keys(target);
      return { target: target, count: names.length, names: new Set(names) };
    });
  }
  var sweeping = true;
  // cffunc's own rendered code adds nothing anywhere (tests check it), so replays of it
  // skip the sweep: it costs more than a fifth of a small function's invocation.
  root.__cffuncTrusted = function () { sweeping = false; };
  // Trusted code keeps no state between invocations (it adds nothing and changes no
  // top-level variable; tests check it), so replay builds its instance once: building
  // one per line costs more than the decision itself.
  var trustedHandler = null;
  function sweep() {
    if (!sweeping) return;
    for (var i = 0; i < watched.length; i++) {
      var w = watched[i], names = Object.keys(w.target);
      if (names.length === w.count) continue;
      names.forEach(function (name) {
        if (!w.names.has(name)) delete w.target[name];
      });
    }
  }

  var instances = null;

  // code: the function source with its import statements already turned into
  // `var x = require('module')` (cffunc/runtime/source.py does that with a parser).
  root.__cffuncInstall = function (factory) {
    instances = factory;
  };

  function freshHandler() {
    return instances(tick, requireShim, { log: consoleLog }, DateShim, forbidden('eval'), forbidden('Function'),
      globals.Buffer, globals.atob, globals.btoa, globals.TextEncoder, globals.TextDecoder,
      undefined, undefined, undefined, undefined, undefined, undefined, undefined);
  }

  // The watchdog every loop body calls (cffunc/runtime/source.py inserts the calls).
  // Once the budget is spent it keeps throwing, so a loop that catches it still ends.
  var budget = { deadline: 0, ticks: 0, exceeded: false };
  function tick() {
    budget.ticks++;
    if (budget.exceeded || ((budget.ticks & 1023) === 0 && RealDate.now() > budget.deadline)) {
      budget.exceeded = true;
      throw new RangeError('The function exceeded its execution time limit');
    }
  }

  function begin(item, limitMs) {
    state.now = item.now;
    state.logs = [];
    state.logBytes = 0;
    state.truncated = false;
    edge.begin(item.event, item.edge);
    budget.deadline = RealDate.now() + limitMs;
    budget.ticks = 0;
    budget.exceeded = false;
  }

  function finish(output, error) {
    sweep();
    var done = edge.end();
    var result = {
      output: null, error: error, logs: state.logs, origin: done.origin, logData: done.logData,
      ticks: budget.ticks, reads: done.reads
    };
    if (budget.exceeded) result.error = 'RangeError: The function exceeded its execution time limit';
    else if (error === null && output === undefined) result.error = 'The function returned undefined';
    else if (error === null) {
      try {
        stringify(output);  // what cannot be serialised fails here, not for the batch
        result.output = output;
      } catch (e) {
        result.error = 'The function returned a value that is not JSON: ' + e.message;
      }
    }
    return result;
  }

  function describe(e) {
    return e && e.name ? e.name + ': ' + e.message : String(e);
  }

  // One synchronous invocation for bulk work (log replay): the output as is, not copied.
  // For replay: {output, error}, or for an async handler a promise of it (the caller
  // chains; the next invocation starts only once this one has settled).
  root.__cffuncInvokeSync = function (event, now, limitMs, edgeContext) {
    begin({ now: now, event: event, edge: edgeContext }, limitMs);
    var output, error = null;
    function done(output, error) {
      sweep();
      if (budget.exceeded) error = 'RangeError: The function exceeded its execution time limit';
      else if (error === null && output === undefined) error = 'The function returned undefined';
      return { output: output, error: error };
    }
    try {
      var handler = sweeping ? freshHandler() : trustedHandler || (trustedHandler = freshHandler());
      if (typeof handler !== 'function') throw new Error('The function does not define handler');
      edge.enter();
      output = handler(event);
      if (output && typeof output.then === 'function') {
        return Promise.resolve(output).then(
          function (value) { return done(value, null); },
          function (e) { return done(undefined, describe(e)); }
        );
      }
    } catch (e) {
      error = describe(e);
    }
    return done(output, error);
  };

  // Runs the batch synchronously (inside the host's eval, where its timeout can stop
  // runaway code) until a handler returns a promise; from there it chains, and the
  // host awaits the promise. Each invocation starts only after the previous ended, so
  // the frozen Date and the logs belong to one event at a time.
  root.__cffuncRunText = function (text, limitMs) {
    return root.__cffuncRun(parse(text), limitMs);
  };
  root.__cffuncRun = function (batch, limitMs) {
    var results = [];
    function from(i) {
      for (; i < batch.length; i++) {
        begin(batch[i], limitMs);
        var output;
        try {
          var handler = freshHandler();
          if (typeof handler !== 'function') throw new Error('The function does not define handler');
          edge.enter();
          output = handler(batch[i].event);
        } catch (e) {
          results[results.length] = finish(undefined, describe(e));
          continue;
        }
        if (output && typeof output.then === 'function') {
          var next = i + 1;
          return apply(thenOf, apply(resolveOf, NativePromise, [output]), [
            function (value) { results[results.length] = finish(value, null); return from(next); },
            function (e) { results[results.length] = finish(undefined, describe(e)); return from(next); }
          ]);
        }
        results[results.length] = finish(output, null);
      }
      return stringify(results);
    }
    return from(0);
  };
})(globalThis);
